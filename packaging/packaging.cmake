# Installation and the Debian package, included from the top-level
# CMakeLists.txt. `make install` / `cmake --install` honour PREFIX and
# DESTDIR; `make deb` runs CPack. Paths outside the prefix (/etc, /var,
# the systemd unit) are decided at install time by install-system.cmake.
include(GNUInstallDirs)

# man pages, gzipped as Debian wants them (-n: no name or time, reproducible)
set(MDS_MAN_OUT ${CMAKE_BINARY_DIR}/man)
foreach(page mdesiem.1 mdesiem.conf.5)
  add_custom_command(OUTPUT ${MDS_MAN_OUT}/${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${MDS_MAN_OUT}
    COMMAND sh -c "gzip -9n < '${CMAKE_SOURCE_DIR}/docs/man/${page}' > '${MDS_MAN_OUT}/${page}.gz'"
    DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/${page} VERBATIM)
  list(APPEND MDS_MAN_GZ ${MDS_MAN_OUT}/${page}.gz)
endforeach()
add_custom_target(manpages ALL DEPENDS ${MDS_MAN_GZ})

install(TARGETS mdesiem RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${MDS_MAN_OUT}/mdesiem.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${MDS_MAN_OUT}/mdesiem.conf.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
file(GLOB MDS_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES README.md ${MDS_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES conf/mdesiem.ini DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(MDS_SOURCE_DIR ${CMAKE_SOURCE_DIR})
configure_file(packaging/install-system.cmake.in ${CMAKE_BINARY_DIR}/install-system.cmake @ONLY)
install(SCRIPT ${CMAKE_BINARY_DIR}/install-system.cmake)

# Debian package: build/mdesiem_<version>_<arch>.deb (`make deb`)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mdesiem)
set(CPACK_PACKAGE_VENDOR "mdesiem")
set(CPACK_PACKAGE_CONTACT "mdesiem maintainers <mdesiem@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Microsoft Defender alerts to any SIEM")
set(CPACK_PACKAGE_DESCRIPTION "mdesiem pulls alerts from Microsoft Defender for Endpoint and Microsoft 365
Defender (Graph security API, MDE alert API, legacy SIEM API, Streaming
API) and delivers them to files, syslog, HTTP collectors or Kafka as JSON,
CEF, LEEF or ECS, exactly once per alert version, through a SQLite outbox.
It runs as the systemd service mdesiem under its own system user.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3, logrotate")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles
  ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
  ${CMAKE_SOURCE_DIR}/packaging/debian/prerm
  ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_SOURCE_DIR}/packaging/deb-prune.cmake)
include(CPack)
