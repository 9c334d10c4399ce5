-- wrk: POST /api/v1/households as $TOKEN, a new household of three members (head, spouse,
-- child) in a village chosen at random from $VILLAGES_FILE (one code a line), no number (the
-- server assigns it), an Idempotency-Key per request, address $ADDRESS (so a later run can
-- remove what this one created). ID numbers are valid (GB 11643 check digit) and unique:
-- region $REGION, birth date and sequence from a counter striped over the threads and
-- started at $OFFSET. Reusable by other benchmarks (scripts/bench/peer.sh).
local common = dofile("scripts/bench/common.lua")
local villages = {}
for line in io.lines(os.getenv("VILLAGES_FILE")) do villages[#villages + 1] = line end
local token = os.getenv("TOKEN")
local region = os.getenv("REGION") or "620102"
local address = os.getenv("ADDRESS") or "writes-bench"
local offset = tonumber(os.getenv("OFFSET") or "0")
local n
common.numbered_threads(function(tid) n = offset + tid end)

local weights = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 }
local checks = "10X98765432"
local function id_number()
  local k = n
  n = n + nthreads
  -- 1971-01-01 plus one day per thousand numbers; the sequence is the rest.
  local born = os.date("!%Y%m%d", 31536000 + math.floor(k / 1000) * 86400)
  local first = region .. born .. string.format("%03d", k % 1000)
  local sum = 0
  for i = 1, 17 do sum = sum + tonumber(first:sub(i, i)) * weights[i] end
  local m = sum % 11 + 1
  return first .. checks:sub(m, m)
end


function request()
  local village = villages[math.random(#villages)]
  local body = string.format(
    '{"village_code":"%s","category":"ordinary","address":"%s","members":['
      .. '{"name":"王建国","id_number":"%s","relation":"head"},'
      .. '{"name":"李秀英","id_number":"%s","relation":"spouse"},'
      .. '{"name":"王小龙","id_number":"%s","relation":"child"}]}',
    village, address, id_number(), id_number(), id_number())
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = common.uuid(),
  }
  return wrk.format("POST", "/api/v1/households", headers, body)
end

response = common.report_unexpected(201)
