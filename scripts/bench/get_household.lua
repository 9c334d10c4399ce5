-- wrk: GET /api/v1/households/{id} for ids chosen at random from $IDS_FILE, as $TOKEN.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
local errors = 0

function setup(thread) thread:set("id", tostring(thread)) end
function init(args) math.randomseed(os.time() + tonumber(string.sub(tostring({}), 8), 16)) end
function request()
  return wrk.format("GET", "/api/v1/households/" .. ids[math.random(#ids)], headers)
end
function response(status) if status ~= 200 then errors = errors + 1 end end
