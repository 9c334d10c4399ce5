-- wrk: the reference for uploads: a plain S3 PUT of the JPEG in $PHOTO (made unique by a COM
-- segment, as upload_photo.lua does) to $PREFIX/<uuid>.jpg on the S3 endpoint wrk is pointed at
-- ($PREFIX = /bucket/folder; anonymous requests, as a store without identities accepts them).
local common = dofile("scripts/bench/common.lua")
local photo = common.read_jpeg(os.getenv("PHOTO"))
local prefix = os.getenv("PREFIX")
common.numbered_threads()

function request()
  local id = common.uuid()
  return common.jpeg_request("PUT", prefix .. "/" .. id .. ".jpg", { ["Content-Type"] = "image/jpeg" }, photo, id)
end

response = common.report_unexpected(200)
