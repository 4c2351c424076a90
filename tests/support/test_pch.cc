// The translation unit that builds tests/support/test_pch.h (see tests/CMakeLists.txt).
