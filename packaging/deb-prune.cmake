# CPack pre-build script: the .deb does not ship the runtime directories
# (state, logs, secrets). postinst creates them owned by the mdesiem user,
# so dpkg never resets their owner on upgrade and `dpkg -r` leaves the
# state alone; postrm removes them on purge.
message(STATUS "deb-prune: staging in ${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
foreach(dir etc/mdesiem/secrets var/lib/mdesiem var/log/mdesiem var/lib var/log var)
  set(path "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/${dir}")
  file(GLOB left "${path}/*")
  if(IS_DIRECTORY "${path}" AND NOT left)
    file(REMOVE_RECURSE "${path}")
  endif()
endforeach()
