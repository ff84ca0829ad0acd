# Read by CMake (>= 3.21) through the CMAKE_TOOLCHAIN_FILE environment variable
# set in .cargo/config.toml. WAMR's simde.cmake uses FetchContent, which skips
# the download when FETCHCONTENT_SOURCE_DIR_SIMDE names a local source tree.
# Debian's libsimde-dev installs the headers as /usr/include/simde/..., so the
# include root is the "source tree".
if(NOT DEFINED FETCHCONTENT_SOURCE_DIR_SIMDE)
  if(DEFINED ENV{KILN_SIMDE_DIR})
    set(FETCHCONTENT_SOURCE_DIR_SIMDE "$ENV{KILN_SIMDE_DIR}" CACHE PATH "simde headers")
  else()
    set(FETCHCONTENT_SOURCE_DIR_SIMDE "/usr/include" CACHE PATH "simde headers")
  endif()
endif()
set(FETCHCONTENT_FULLY_DISCONNECTED ON CACHE BOOL "no network in CMake")
