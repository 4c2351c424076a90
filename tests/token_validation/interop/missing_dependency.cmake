# Fails a ctest with MESSAGE: used in place of a test whose tool is missing, so
# the gap shows up as a failure instead of a silent pass.
message(FATAL_ERROR "${MESSAGE}")
