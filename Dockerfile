# netshoot:latest, FROM scratch (no base image, no registry): the static netshoot binary with every
# classic name linked to it, Debian's busybox for a shell with line editing and history and the
# small userland people pipe into, Debian's CA bundle, root and nobody. Built by scripts/image,
# which stages target/image-rootfs/ (busybox, the C library it needs, CA bundle, /etc files).
FROM scratch
COPY target/image-rootfs/ /
COPY target/x86_64-unknown-linux-gnu/release/netshoot /usr/local/bin/netshoot
# Every classic name netshoot answers to, as a link to it (the names come from the binary itself).
RUN ["/usr/local/bin/netshoot", "install-links", "/usr/local/bin"]
# busybox's applets, except the names netshoot answers to: those stay netshoot's.
RUN ["/bin/busybox", "sh", "-c", "for a in $(/bin/busybox --list); do [ -e /usr/local/bin/$a ] || [ -e /bin/$a ] || /bin/busybox ln -s busybox /bin/$a; done"]
ENV PATH=/usr/local/bin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PAGER=less
# A terminal: the shell with the banner; no command and no terminal: targets; a classic name or a
# verb: netshoot; any other program in the image (sh -c …, grep): that program.
ENTRYPOINT ["/usr/local/bin/netshoot", "entrypoint"]
