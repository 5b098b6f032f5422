# Warning flags applied to every first-party target.
function(emonet_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wimplicit-fallthrough)
  # GCC 12 reports -Wrestrict false positives inside libstdc++ for `"literal" + std::string`
  # at -O2/-O3 (GCC PR 105329); the diagnostic is not about our code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(EMONET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
