-- wrk: POST /api/v1/households/{id}/photos as $TOKEN, the JPEG in $PHOTO made unique by a COM
-- segment (a new client_id each), to a household chosen at random from $IDS_FILE (one id a
-- line, the first word of each line). Reusable by other benchmarks (scripts/bench/peer.sh).
local common = dofile("scripts/bench/common.lua")
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line:match("^(%S+)") end
local token = os.getenv("TOKEN")
local photo = io.open(os.getenv("PHOTO"), "rb"):read("*a")
common.numbered_threads()

function request()
  local boundary = "fangpinbenchboundary" .. math.random(0, 0x7fffffff)
  local cid = common.uuid()
  local taken = os.date("!%Y-%m-%dT%H:%M:%S+00:00")
  local body = "--" .. boundary .. '\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n'
    .. string.format('{"kind":"door_with_cadre","taken_at":"%s","client_id":"%s"}', taken, cid)
    .. "\r\n--" .. boundary .. '\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    .. common.unique_jpeg(photo, cid) .. "\r\n--" .. boundary .. "--\r\n"
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }
  return wrk.format("POST", "/api/v1/households/" .. ids[math.random(#ids)] .. "/photos", headers, body)
end

response = common.report_unexpected(201)
