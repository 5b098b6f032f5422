# Helpers for the script-mode generators that embed files into libemonet as byte arrays
# (src/serve/embed_text.cmake, src/annotate/web/embed_assets.cmake), so the binaries
# never read their UI or documents from disk at run time.

# Sets <out_bytes> to the file's bytes as "0xNN," items and <out_size> to its length.
# Callers end the array with a trailing 0x00, which also keeps an empty file valid C++.
function(emonet_file_as_bytes path out_bytes out_size)
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  set(${out_bytes} "${bytes}" PARENT_SCOPE)
  set(${out_size} "${size}" PARENT_SCOPE)
endfunction()

# Writes <body> to <output> only when it differs, so unchanged inputs cause no recompilation.
function(emonet_write_if_changed output body)
  if(EXISTS "${output}")
    file(READ "${output}" previous)
    if(previous STREQUAL body)
      return()
    endif()
  endif()
  file(WRITE "${output}" "${body}")
endfunction()
