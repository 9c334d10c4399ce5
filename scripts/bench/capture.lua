-- wrk: POST /api/v1/households/{id}/locations as $TOKEN, a phone's GPS capture (WGS-84,
-- accuracy 5-12 m, taken a minute ago, a new client_id each) of the households of
-- $HOUSEHOLDS_FILE ("household_id lat lon" a line, lines interleaved county by county) taken
-- round-robin: connection after connection, request after request, the next line, so the
-- writes of any instant are spread over all the counties. The point is a few metres from the
-- line's lat/lon (the household's home after its first capture: later captures refresh it).
-- $START (default 0) shifts the first line, so two wrk processes take different households.
local common = dofile("scripts/bench/common.lua")
local rows = {}
for line in io.lines(os.getenv("HOUSEHOLDS_FILE")) do
  local id, lat, lon = line:match("^(%S+) (%S+) (%S+)$")
  rows[#rows + 1] = { id = id, lat = tonumber(lat), lon = tonumber(lon) }
end
local token = os.getenv("TOKEN")
local start = tonumber(os.getenv("START") or "0")
local n
common.numbered_threads(function(tid) n = start + tid - 1 end, start)

local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

function request()
  local h = rows[n % #rows + 1]
  n = n + nthreads
  local body = string.format(
    '{"lat":%.7f,"lon":%.7f,"crs":"wgs84","accuracy_m":%.1f,"altitude_m":1050,"captured_at":"%s","source":"gps","client_id":"%s"}',
    h.lat + (math.random() - 0.5) * 0.0001, h.lon + (math.random() - 0.5) * 0.0001, 5 + math.random() * 7,
    os.date("!%Y-%m-%dT%H:%M:%S+00:00", os.time() - 60), common.uuid())
  return wrk.format("POST", "/api/v1/households/" .. h.id .. "/locations", headers, body)
end

response = common.report_unexpected(201)
