-- wrk script: posts one XML-RPC call to a Koji-compatible hub over keep-alive connections.
--
--   wrk -t2 -c8 -d10s --latency -s bench/wrk/xmlrpc.lua http://127.0.0.1:8080/kojihub -- getTag bench-tag
--
-- Arguments after `--`: the method, then string parameters (default: getAPIVersion).
-- Responses that are faults or not HTTP 200 are counted and reported as errors at the end.

local faults = 0
local threads = {}

local function escape(text)
    return (text:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"))
end

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    local method = args[1] or "getAPIVersion"
    local params = {}
    for i = 2, #args do
        params[#params + 1] = "<param><value><string>" .. escape(args[i]) .. "</string></value></param>"
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "text/xml"
    wrk.body = "<?xml version='1.0'?>\n<methodCall>\n<methodName>" .. escape(method)
        .. "</methodName>\n<params>\n" .. table.concat(params, "\n") .. "\n</params>\n</methodCall>\n"
end

function response(status, headers, body)
    if status ~= 200 or body:find("<fault>", 1, true) then
        faults = faults + 1
    end
end

function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do
        total = total + (thread:get("faults") or 0)
    end
    io.write(string.format("faults or non-200 answers: %d\n", total))
    io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
