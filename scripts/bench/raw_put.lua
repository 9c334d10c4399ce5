-- wrk: the reference for uploads: a plain S3 PUT of the JPEG in $PHOTO (made unique by a COM
-- segment, as upload_photo.lua does) to $PREFIX/<uuid>.jpg on the S3 endpoint wrk is pointed at
-- ($PREFIX = /bucket/folder; anonymous requests, as a store without identities accepts them).
local photo = io.open(os.getenv("PHOTO"), "rb"):read("*a")
local prefix = os.getenv("PREFIX")
local counter = 0
local statuses = {}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args) math.randomseed(os.time() * 1000 + tid) end

local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0x8000, 0xbfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

function request()
  local id = uuid()
  local com = "\255\254" .. string.char(0, #id + 2) .. id
  return wrk.format("PUT", prefix .. "/" .. id .. ".jpg", { ["Content-Type"] = "image/jpeg" }, photo:sub(1, 2) .. com .. photo:sub(3))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 and statuses[status] <= 3 then
    io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 300) .. "\n")
  end
end
