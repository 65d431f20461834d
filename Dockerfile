# The slim netshoot image: one static binary, nothing else. Build with scripts/image.
FROM scratch
COPY target/x86_64-unknown-linux-gnu/release/netshoot /usr/local/bin/netshoot
ENV PATH=/usr/local/bin
ENTRYPOINT ["/usr/local/bin/netshoot"]
CMD ["targets"]
