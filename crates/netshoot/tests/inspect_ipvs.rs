//! `ipvs` against the kernel: this machine's kernel has no IPVS, so the one-line message and
//! exit 2 are checked; on a kernel with IPVS the table is compared with `ipvsadm -Ln` instead.
//! (Encoding and decoding are tested on recorded bytes in netshoot-inspect's unit tests.)

use std::process::Command;

use netshoot_testnet::{require_root, Netns};

#[test]
fn ipvs_agrees_with_ipvsadm_or_says_the_kernel_has_none() {
    require_root!();
    let ns = Netns::new("iv");
    let spec = format!("netns:{}", ns.name);
    let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, "ipvs"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let peer = Command::new("ip")
        .args(["netns", "exec", &ns.name, "ipvsadm", "-Ln"])
        .output()
        .unwrap();
    if !std::path::Path::new("/proc/net/ip_vs").exists() && !peer.status.success() {
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(
            err.contains("no IPVS") && err.contains("modprobe ip_vs"),
            "{err}"
        );
        return;
    }
    // A kernel with IPVS: a service with two real servers, then the same table both ways.
    ns.exec(&["ipvsadm", "-A", "-t", "10.91.0.1:80", "-s", "rr"]);
    for rs in ["10.91.0.2:8080", "10.91.0.3:8080"] {
        ns.exec(&[
            "ipvsadm",
            "-a",
            "-t",
            "10.91.0.1:80",
            "-r",
            rs,
            "-m",
            "-w",
            "2",
        ]);
    }
    let peer = String::from_utf8_lossy(
        &Command::new("ip")
            .args(["netns", "exec", &ns.name, "ipvsadm", "-Ln"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, "ipvs"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{err}");
    let words = |s: &str| -> Vec<String> {
        s.lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(words(&String::from_utf8_lossy(&o.stdout)), words(&peer));
}
