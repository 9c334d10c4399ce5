-- wrk: the first page of GET /api/v1/households?division=$DIVISION, as $TOKEN.
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
local path = "/api/v1/households?division=" .. os.getenv("DIVISION")
function request() return wrk.format("GET", path, headers) end
