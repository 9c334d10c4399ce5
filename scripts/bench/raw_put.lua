-- wrk: the reference for uploads: a plain S3 PUT of the JPEG in $PHOTO (made unique by a COM
-- segment, as upload_photo.lua does) to $PREFIX/<uuid>.jpg on the S3 endpoint wrk is pointed at
-- ($PREFIX = /bucket/folder; anonymous requests, as a store without identities accepts them).
local common = dofile("scripts/bench/common.lua")
local photo = io.open(os.getenv("PHOTO"), "rb"):read("*a")
local prefix = os.getenv("PREFIX")
common.numbered_threads()

function request()
  local id = common.uuid()
  return wrk.format("PUT", prefix .. "/" .. id .. ".jpg", { ["Content-Type"] = "image/jpeg" }, common.unique_jpeg(photo, id))
end

response = common.report_unexpected(200)
