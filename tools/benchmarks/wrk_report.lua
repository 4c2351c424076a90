-- wrk script for tools/bench: the authorized tools/call of tools_call.lua, plus one
-- JSON line at the end (report_done.lua). MCPAUTH_BENCH_DIR is the folder holding both.
dofile(os.getenv("MCPAUTH_BENCH_DIR") .. "/tools_call.lua")
dofile(os.getenv("MCPAUTH_BENCH_DIR") .. "/report_done.lua")
