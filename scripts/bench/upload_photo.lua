-- wrk: POST /api/v1/households/{id}/photos as $TOKEN, the JPEG in $PHOTO made unique by a COM
-- segment (a new client_id each), to a household chosen at random from $IDS_FILE (one id a
-- line, the first word of each line). Reusable by other benchmarks (scripts/bench/peer.sh).
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line:match("^(%S+)") end
local token = os.getenv("TOKEN")
local photo = io.open(os.getenv("PHOTO"), "rb"):read("*a")
local statuses = {}
local counter = 0

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
  local boundary = "fangpinbenchboundary" .. math.random(0, 0x7fffffff)
  local cid = uuid()
  local com = "\255\254" .. string.char(0, #cid + 2) .. cid
  local taken = os.date("!%Y-%m-%dT%H:%M:%S+00:00")
  local body = "--" .. boundary .. '\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n'
    .. string.format('{"kind":"door_with_cadre","taken_at":"%s","client_id":"%s"}', taken, cid)
    .. "\r\n--" .. boundary .. '\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    .. photo:sub(1, 2) .. com .. photo:sub(3) .. "\r\n--" .. boundary .. "--\r\n"
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }
  return wrk.format("POST", "/api/v1/households/" .. ids[math.random(#ids)] .. "/photos", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 201 and statuses[status] <= 3 then
    io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 300) .. "\n")
  end
end
