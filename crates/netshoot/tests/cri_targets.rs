//! CRI tier (root): `pod:` and `cri:` targets against a real container runtime.
//!
//! The harness starts Debian's containerd (its CRI plugin built in) on its own socket, root and
//! state directory, with Debian's containernetworking-plugins as the CNI (bridge + host-local
//! IPAM on 10.251.17.0/24, the firewall plugin so the host's FORWARD policy lets the pods talk),
//! imports a pause image built `FROM scratch` here (an OCI layout holding a tiny static ELF that
//! calls pause(2) forever), and creates pod sandboxes through the CRI API with the Kubernetes
//! metadata kubelet gives them. Everything is removed again by Drop guards, failed test or not.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use netshoot_ns::cri::{api, Cri};
use netshoot_testnet::cli::{json, stderr, stdout, Netshoot};
use netshoot_testnet::{require_root, unique};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));
/// The only addresses this test uses: the CNI's subnet (and the bridge's gateway in it).
const SUBNET: &str = "10.251.17.0/24";
const PAUSE_IMAGE: &str = "docker.io/netshoot/pause:test";
const NS: &str = "netshoot-test";

/// The container messages only this test needs (`runtime.v1`, upstream field numbers).
mod containers {
    use std::collections::BTreeMap;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ImageSpec {
        #[prost(string, tag = "1")]
        pub image: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LinuxContainerSecurityContext {
        #[prost(message, optional, tag = "3")]
        pub namespace_options: Option<netshoot_ns::cri::api::NamespaceOption>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LinuxContainerConfig {
        #[prost(message, optional, tag = "2")]
        pub security_context: Option<LinuxContainerSecurityContext>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerConfig {
        #[prost(message, optional, tag = "1")]
        pub metadata: Option<netshoot_ns::cri::api::ContainerMetadata>,
        #[prost(message, optional, tag = "2")]
        pub image: Option<ImageSpec>,
        #[prost(string, repeated, tag = "3")]
        pub command: Vec<String>,
        #[prost(btree_map = "string, string", tag = "9")]
        pub labels: BTreeMap<String, String>,
        #[prost(string, tag = "11")]
        pub log_path: String,
        #[prost(message, optional, tag = "15")]
        pub linux: Option<LinuxContainerConfig>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CreateContainerRequest {
        #[prost(string, tag = "1")]
        pub pod_sandbox_id: String,
        #[prost(message, optional, tag = "2")]
        pub config: Option<ContainerConfig>,
        #[prost(message, optional, tag = "3")]
        pub sandbox_config: Option<netshoot_ns::cri::api::PodSandboxConfig>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CreateContainerResponse {
        #[prost(string, tag = "1")]
        pub container_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StartContainerRequest {
        #[prost(string, tag = "1")]
        pub container_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StartContainerResponse {}
}

/// Why the CRI tier cannot run here, if it cannot.
fn missing_runtime() -> Option<String> {
    if !cfg!(target_arch = "x86_64") {
        return Some("its pause image is an x86-64 program".into());
    }
    for (what, path) in [
        ("containerd", "/usr/bin/containerd"),
        ("ctr", "/usr/bin/ctr"),
        (
            "containerd-shim-runc-v2",
            "/usr/bin/containerd-shim-runc-v2",
        ),
        ("runc", "/usr/sbin/runc"),
        ("the CNI bridge plugin", "/usr/lib/cni/bridge"),
        ("the CNI host-local plugin", "/usr/lib/cni/host-local"),
        ("the CNI firewall plugin", "/usr/lib/cni/firewall"),
    ] {
        if !Path::new(path).exists() {
            return Some(format!(
                "needs {what} ({path}; scripts/setup installs containerd and \
                 containernetworking-plugins)"
            ));
        }
    }
    None
}

macro_rules! require_runtime {
    () => {
        require_root!();
        if let Some(why) = missing_runtime() {
            netshoot_testnet::say_skipped(&why);
            return;
        }
    };
}

/// A static x86-64 ELF that calls pause(2) in a loop: the pod's sandbox process.
fn pause_elf() -> Vec<u8> {
    const BASE: u64 = 0x40_0000;
    // mov eax, 34 (pause); syscall; jmp back to the mov.
    let code = [0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7];
    let total = (64 + 56 + code.len()) as u64;
    let mut e = Vec::new();
    e.extend_from_slice(b"\x7fELF\x02\x01\x01\x00");
    e.extend_from_slice(&[0; 8]);
    e.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    e.extend_from_slice(&0x3eu16.to_le_bytes()); // x86-64
    e.extend_from_slice(&1u32.to_le_bytes());
    e.extend_from_slice(&(BASE + 64 + 56).to_le_bytes()); // entry
    e.extend_from_slice(&64u64.to_le_bytes()); // program headers
    e.extend_from_slice(&0u64.to_le_bytes()); // no section headers
    e.extend_from_slice(&0u32.to_le_bytes());
    for v in [64u16, 56, 1, 0, 0, 0] {
        e.extend_from_slice(&v.to_le_bytes());
    }
    // PT_LOAD, R+X, the whole file at BASE.
    e.extend_from_slice(&1u32.to_le_bytes());
    e.extend_from_slice(&5u32.to_le_bytes());
    for v in [0, BASE, BASE, total, total, 0x1000] {
        e.extend_from_slice(&v.to_le_bytes());
    }
    e.extend_from_slice(&code);
    e
}

fn sh(cmd: &str) -> String {
    let o = Command::new("sh").args(["-ec", cmd]).output().unwrap();
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Writes the pause image as an OCI layout tarball (one uncompressed layer) in `dir`.
fn pause_image(dir: &Path) -> PathBuf {
    let d = dir.join("image");
    std::fs::create_dir_all(d.join("rootfs")).unwrap();
    std::fs::create_dir_all(d.join("oci/blobs/sha256")).unwrap();
    let bin = d.join("rootfs/pause");
    std::fs::write(&bin, pause_elf()).unwrap();
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let blob = |name: &str| -> (String, u64) {
        let p = d.join(name);
        let sum = sh(&format!("sha256sum {} | cut -d' ' -f1", p.display()));
        std::fs::copy(&p, d.join("oci/blobs/sha256").join(&sum)).unwrap();
        (sum, std::fs::metadata(&p).unwrap().len())
    };
    sh(&format!(
        "tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C {} -cf {}/layer.tar pause",
        d.join("rootfs").display(),
        d.display()
    ));
    let (layer, layer_size) = blob("layer.tar");
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Entrypoint":["/pause"]}},"rootfs":{{"type":"layers","diff_ids":["sha256:{layer}"]}}}}"#
    );
    std::fs::write(d.join("config.json"), config).unwrap();
    let (cfg, cfg_size) = blob("config.json");
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{cfg}","size":{cfg_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer}","size":{layer_size}}}]}}"#
    );
    std::fs::write(d.join("manifest.json"), manifest).unwrap();
    let (man, man_size) = blob("manifest.json");
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{man}","size":{man_size},"annotations":{{"io.containerd.image.name":"{PAUSE_IMAGE}","org.opencontainers.image.ref.name":"test"}}}}]}}"#
    );
    std::fs::write(d.join("oci/index.json"), index).unwrap();
    std::fs::write(
        d.join("oci/oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let tar = d.join("pause.tar");
    sh(&format!(
        "tar -C {}/oci -cf {} oci-layout index.json blobs",
        d.display(),
        tar.display()
    ));
    tar
}

/// A containerd of our own, killed and its directories and bridge removed on drop.
struct Containerd {
    dir: PathBuf,
    socket: PathBuf,
    bridge: String,
    child: Option<std::process::Child>,
    /// Whether the CNI firewall plugin's chains were there before (then they stay).
    cni_chains_before: bool,
}

fn cni_chains_exist() -> bool {
    Command::new("iptables")
        .args(["-w", "-S", "CNI-FORWARD"])
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Containerd {
    fn start() -> Containerd {
        let cni_chains_before = cni_chains_exist();
        let bridge = unique("cri");
        let dir = PathBuf::from(format!("/tmp/{bridge}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("net.d")).unwrap();
        let d = dir.display();
        let conflist = format!(
            r#"{{"cniVersion":"0.4.0","name":"netshoot-cri-test","plugins":[
  {{"type":"bridge","bridge":"{bridge}","isGateway":true,"ipMasq":false,"hairpinMode":true,
    "ipam":{{"type":"host-local","ranges":[[{{"subnet":"{SUBNET}"}}]],"dataDir":"{d}/ipam"}}}},
  {{"type":"firewall","backend":"iptables"}}]}}"#
        );
        std::fs::write(dir.join("net.d/10-netshoot.conflist"), conflist).unwrap();
        let config = format!(
            r#"version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{d}/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    Root = "{d}/runc"
"#
        );
        std::fs::write(dir.join("config.toml"), config).unwrap();
        let log = std::fs::File::create(dir.join("containerd.log")).unwrap();
        let child = Command::new("containerd")
            .arg("--config")
            .arg(dir.join("config.toml"))
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start containerd");
        let c = Containerd {
            socket: dir.join("containerd.sock"),
            dir,
            bridge,
            child: Some(child),
            cni_chains_before,
        };
        // Up once the CRI answers (bounded).
        let cri = c.cri();
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            match cri.list_pod_sandboxes() {
                Ok(_) => break,
                Err(e) if Instant::now() > until => panic!("containerd did not come up: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        c
    }

    fn cri(&self) -> Cri {
        Cri::new(&self.socket).with_timeout(Duration::from_secs(30))
    }

    fn sock(&self) -> String {
        self.socket.display().to_string()
    }

    fn import(&self, tar: &Path) {
        let o = Command::new("ctr")
            .args(["-a", &self.sock(), "-n", "k8s.io", "images", "import"])
            .arg(tar)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "ctr images import: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// Creates a pod sandbox as kubelet does (its resolv.conf naming `dns`), removed again on
    /// drop.
    fn pod(&self, name: &str, dns: &str) -> Pod {
        let uid = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            std::process::id(),
            name.len()
        );
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("io.kubernetes.pod.name".to_string(), name.to_string());
        labels.insert("io.kubernetes.pod.namespace".to_string(), NS.to_string());
        labels.insert("io.kubernetes.pod.uid".to_string(), uid.clone());
        labels.insert("app".to_string(), name.to_string());
        let mut annotations = std::collections::BTreeMap::new();
        annotations.insert("kubernetes.io/config.source".to_string(), "api".to_string());
        annotations.insert(
            "kubernetes.io/config.seen".to_string(),
            "2026-12-02T00:00:00Z".to_string(),
        );
        let config = api::PodSandboxConfig {
            metadata: Some(api::PodSandboxMetadata {
                name: name.to_string(),
                uid: uid.clone(),
                namespace: NS.to_string(),
                attempt: 0,
            }),
            hostname: name.to_string(),
            log_directory: self
                .dir
                .join(format!("pods/{NS}_{name}_{uid}"))
                .display()
                .to_string(),
            dns_config: Some(api::DnsConfig {
                servers: vec![dns.to_string()],
                searches: vec![
                    format!("{NS}.svc.cluster.local"),
                    "svc.cluster.local".into(),
                    "cluster.local".into(),
                ],
                options: vec!["ndots:5".into()],
            }),
            labels,
            annotations,
            linux: Some(api::LinuxPodSandboxConfig {
                cgroup_parent: String::new(),
                security_context: Some(api::LinuxSandboxSecurityContext {
                    namespace_options: Some(api::NamespaceOption {
                        network: api::NamespaceMode::Pod as i32,
                        pid: api::NamespaceMode::Container as i32,
                        ipc: api::NamespaceMode::Pod as i32,
                        target_id: String::new(),
                    }),
                    ..Default::default()
                }),
                sysctls: Default::default(),
            }),
        };
        let cri = self.cri();
        let id = cri
            .run_pod_sandbox(config.clone())
            .unwrap_or_else(|e| panic!("RunPodSandbox {name}: {e}"));
        Pod { cri, id, config }
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < until && matches!(c.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        // Shims our containerd started for sandboxes a failed test left behind: by their id.
        let sock = self.sock();
        if let Ok(d) = std::fs::read_dir("/proc") {
            for e in d.flatten() {
                let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                    continue;
                };
                let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmd).contains(&sock) {
                    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                }
            }
        }
        // Anything still mounted under our directories (deepest first).
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut ours: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|m| m.starts_with(&*self.dir.to_string_lossy()))
            .collect();
        ours.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in ours {
            let _ = Command::new("umount").args(["-l", m]).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = Command::new("ip")
            .args(["link", "del", &self.bridge])
            .output();
        // The firewall plugin leaves its (then empty) chains behind: remove the ones it made.
        if !self.cni_chains_before && cni_chains_exist() {
            for args in [
                &[
                    "-D",
                    "FORWARD",
                    "-m",
                    "comment",
                    "--comment",
                    "CNI firewall plugin rules",
                    "-j",
                    "CNI-FORWARD",
                ][..],
                &["-F", "CNI-FORWARD"],
                &["-X", "CNI-FORWARD"],
                &["-F", "CNI-ADMIN"],
                &["-X", "CNI-ADMIN"],
            ] {
                let _ = Command::new("iptables").arg("-w").args(args).output();
            }
        }
    }
}

/// A pod sandbox, stopped and removed on drop.
struct Pod {
    cri: Cri,
    id: String,
    config: api::PodSandboxConfig,
}

impl Pod {
    /// Creates and starts container `name` (the pause image) in the pod, as kubelet does.
    fn container(&self, name: &str) -> String {
        use containers::*;
        let meta = self.config.metadata.clone().unwrap();
        std::fs::create_dir_all(Path::new(&self.config.log_directory).join(name)).unwrap();
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("io.kubernetes.container.name".to_string(), name.to_string());
        labels.insert("io.kubernetes.pod.name".to_string(), meta.name.clone());
        labels.insert(
            "io.kubernetes.pod.namespace".to_string(),
            meta.namespace.clone(),
        );
        labels.insert("io.kubernetes.pod.uid".to_string(), meta.uid.clone());
        let req = CreateContainerRequest {
            pod_sandbox_id: self.id.clone(),
            config: Some(ContainerConfig {
                metadata: Some(api::ContainerMetadata {
                    name: name.to_string(),
                    attempt: 0,
                }),
                image: Some(ImageSpec {
                    image: PAUSE_IMAGE.to_string(),
                }),
                command: vec!["/pause".into()],
                labels,
                log_path: format!("{name}/0.log"),
                linux: Some(LinuxContainerConfig {
                    security_context: Some(LinuxContainerSecurityContext {
                        namespace_options: self
                            .config
                            .linux
                            .as_ref()
                            .and_then(|l| l.security_context.as_ref())
                            .and_then(|s| s.namespace_options.clone()),
                    }),
                }),
            }),
            sandbox_config: Some(self.config.clone()),
        };
        let r: CreateContainerResponse = self
            .cri
            .call("CreateContainer", &req)
            .unwrap_or_else(|e| panic!("CreateContainer {name}: {e:?}"));
        let _: StartContainerResponse = self
            .cri
            .call(
                "StartContainer",
                &StartContainerRequest {
                    container_id: r.container_id.clone(),
                },
            )
            .unwrap_or_else(|e| panic!("StartContainer {name}: {e:?}"));
        r.container_id
    }

    fn status(&self) -> api::PodSandboxStatusResponse {
        self.cri.pod_sandbox_status(&self.id).unwrap().unwrap()
    }

    fn ip(&self) -> String {
        self.status().status.unwrap().network.unwrap().ip
    }

    /// The `ip netns` name of its namespace (containerd pins it under /var/run/netns).
    fn netns_name(&self) -> String {
        let info = netshoot_ns::pods::runtime_info(&self.status().info);
        let p = info.netns.expect("the runtime names the sandbox's netns");
        p.file_name().unwrap().to_string_lossy().into_owned()
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        let _ = self.cri.stop_pod_sandbox(&self.id);
        let _ = self.cri.remove_pod_sandbox(&self.id);
    }
}

fn in_subnet(ip: &str) -> bool {
    ip.starts_with("10.251.17.")
}

#[test]
fn pod_targets_enter_pods_found_through_the_cri() {
    require_runtime!();
    let ctd = Containerd::start();
    let dir = ctd.dir.clone();
    ctd.import(&pause_image(&dir));
    // beta serves DNS for the pods' cluster domain; alpha's resolv.conf names it.
    let beta = ctd.pod("beta", "10.251.17.10");
    let ip_b = beta.ip();
    let _dns = netshoot_testnet::Child(
        Command::new("ip")
            .args(["netns", "exec", &beta.netns_name()])
            .args([
                "dnsmasq",
                "-k",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--pid-file=",
                "--bind-interfaces",
                "--user=root",
                &format!("--listen-address={ip_b}"),
                &format!("--host-record=web.{NS}.svc.cluster.local,10.251.17.200"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start dnsmasq"),
    );
    let alpha = ctd.pod("alpha", &ip_b);
    let ip_a = alpha.ip();
    assert!(in_subnet(&ip_a) && in_subnet(&ip_b), "{ip_a} {ip_b}");
    let sock = ctd.sock();

    // exec -- ip -j addr in the pod equals iproute2's own view of the pinned namespace, and
    // holds the IP the CRI reports.
    let spec_a = format!("pod:{NS}/alpha");
    let ours = NETSHOOT.run(&[
        "--cri-socket",
        &sock,
        "-t",
        &spec_a,
        "exec",
        "--",
        "ip",
        "-j",
        "addr",
    ]);
    assert!(ours.status.success(), "{}", stderr(&ours));
    let peer = sh(&format!("ip -n {} -j addr", alpha.netns_name()));
    assert_eq!(json(&stdout(&ours)), json(&peer));
    assert!(
        stdout(&ours).contains(&format!("\"{ip_a}\"")),
        "{}",
        stdout(&ours)
    );

    // Our own `ip addr` (the classic name), choosing the socket by environment.
    let ours = NETSHOOT.run_env(
        &["-t", &format!("pod:{NS}/beta"), "ip", "addr"],
        &[("NETSHOOT_CRI_SOCKET", &sock)],
    );
    assert!(ours.status.success(), "{}", stderr(&ours));
    assert!(
        stdout(&ours).contains(&format!("inet {ip_b}/24")),
        "{}",
        stdout(&ours)
    );

    // cri:ID by a unique prefix enters the same namespace.
    let ours = NETSHOOT.run(&[
        "--cri-socket",
        &sock,
        "-t",
        &format!("cri:{}", &alpha.id[..12]),
        "exec",
        "--",
        "ip",
        "-j",
        "addr",
    ]);
    assert!(ours.status.success(), "{}", stderr(&ours));
    assert_eq!(json(&stdout(&ours)), json(&peer));

    // Pod to pod: ping and a TCP connect across the CNI bridge.
    let ping = NETSHOOT.run(&[
        "--cri-socket",
        &sock,
        "-t",
        &spec_a,
        "ping",
        "-c",
        "2",
        "-W",
        "2",
        &ip_b,
    ]);
    assert!(ping.status.success(), "{}{}", stdout(&ping), stderr(&ping));
    assert!(stdout(&ping).contains("2 received"), "{}", stdout(&ping));
    let listener = netshoot_testnet::Child(NETSHOOT.start(&[
        "--cri-socket",
        &sock,
        "-t",
        &format!("pod:{NS}/beta"),
        "listen",
        "-k",
        "8080",
    ]));
    let until = Instant::now() + Duration::from_secs(10);
    let connected = loop {
        let c = NETSHOOT.run(&[
            "--cri-socket",
            &sock,
            "-t",
            &spec_a,
            "connect",
            "-z",
            "-w",
            "2",
            &ip_b,
            "8080",
        ]);
        if c.status.success() || Instant::now() > until {
            break c;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(listener);
    assert!(
        connected.status.success(),
        "{}{}",
        stdout(&connected),
        stderr(&connected)
    );

    // The pod's own resolv.conf (containerd's, from the DNS config kubelet gave): `web` goes
    // through its search list to beta's server.
    let until = Instant::now() + Duration::from_secs(10);
    let dns = loop {
        let d = NETSHOOT.run(&[
            "--cri-socket",
            &sock,
            "-t",
            &spec_a,
            "dns",
            "web",
            "+short",
            "-w",
            "1",
        ]);
        if d.status.success() || Instant::now() > until {
            break d;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(dns.status.success(), "{}{}", stdout(&dns), stderr(&dns));
    assert_eq!(stdout(&dns).trim(), "10.251.17.200");

    // From a pid namespace of its own (a container without --pid host) the runtime's pids
    // name nothing here: the pod is entered through its namespace file, and its resolv.conf
    // read from the file the runtime mounts over /etc/resolv.conf.
    let unshared = |args: &[&str]| {
        Command::new("unshare")
            .args([
                "--pid",
                "--fork",
                "--mount-proc",
                NETSHOOT.0,
                "--cri-socket",
                &sock,
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let o = unshared(&["-v", "-t", &spec_a, "exec", "--", "ip", "-j", "addr"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&stdout(&o)), json(&peer));
    assert!(
        stderr(&o).contains(&format!("entering /var/run/netns/{}", alpha.netns_name())),
        "{}",
        stderr(&o)
    );
    let o = unshared(&["-t", &spec_a, "dns", "web", "+short", "-w", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "10.251.17.200");

    // -c CONTAINER: the container's own process, in the pod's namespace.
    let app = alpha.container("app");
    let info = alpha.cri.container_info(&app).unwrap();
    let app_pid = netshoot_ns::pods::runtime_info(&info)
        .pid
        .expect("the container's pid");
    let o = NETSHOOT.run(&[
        "--cri-socket",
        &sock,
        "-v",
        "-t",
        &spec_a,
        "-c",
        "app",
        "exec",
        "--",
        "ip",
        "-j",
        "addr",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&stdout(&o)), json(&peer));
    assert!(
        stderr(&o).contains(&format!(
            "target pod:{NS}/alpha/app: entering /proc/{app_pid}/ns/net"
        )),
        "{}",
        stderr(&o)
    );
    // The same through a classic name, the socket given as --cri-socket=PATH.
    let o = NETSHOOT.run(&[
        &format!("--cri-socket={sock}"),
        "-t",
        &spec_a,
        "-c",
        "app",
        "ip",
        "addr",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("inet {ip_a}/24")),
        "{}",
        stdout(&o)
    );
    let o = NETSHOOT.run(&[
        "--cri-socket",
        &sock,
        "-t",
        &spec_a,
        "-c",
        "nope",
        "exec",
        "--",
        "true",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!(
            "pod {NS}/alpha has no container 'nope'; its containers: app"
        )),
        "{}",
        stderr(&o)
    );

    // targets: both pods with the CRI's IPs, alpha's container, and each pod's veth whose
    // other end is a port of the CNI bridge on the node.
    let v = NETSHOOT.ok_json(&["--cri-socket", &sock, "targets", "--json"]);
    let pods = v["pods"].as_array().expect("pods");
    let ports = sh(&format!("ip -j link show master {}", ctd.bridge));
    for (name, ip) in [("alpha", &ip_a), ("beta", &ip_b)] {
        let p = pods
            .iter()
            .find(|p| p["target"] == format!("pod:{NS}/{name}"))
            .unwrap_or_else(|| panic!("{name} in {v}"));
        assert_eq!(p["state"], "ready");
        assert_eq!(p["ips"], serde_json::json!([ip]));
        let veth = &p["veths"][0];
        assert_eq!(veth["inside"], "eth0", "{p}");
        assert_eq!(veth["peer_target"], "host", "{p}");
        let host_end = veth["peer"].as_str().unwrap();
        assert!(
            ports.contains(&format!("\"ifname\":\"{host_end}\"")),
            "{host_end} not on the bridge: {ports}"
        );
    }
    let alpha_json = pods.iter().find(|p| p["name"] == "alpha").unwrap();
    assert_eq!(
        alpha_json["containers"],
        serde_json::json!([{"name": "app", "state": "running"}])
    );

    let text = NETSHOOT.ok_text(&["--cri-socket", &sock, "targets", "--no-interfaces"]);
    let line = text
        .lines()
        .find(|l| {
            l.starts_with(&format!(
                "pod:{NS}/alpha  [pod, sandbox {}",
                &alpha.id[..13]
            ))
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("ready, inode ") && line.ends_with(&format!("IP {ip_a}]")),
        "{line}"
    );
    assert!(text.contains("  containers app (running)\n"), "{text}");

    // A pod that is not there: one line naming it and the pods there are, exit 2.
    let o = NETSHOOT.run(&[
        "--cri-socket",
        &sock,
        "-t",
        &format!("pod:{NS}/nope"),
        "exec",
        "--",
        "true",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains(&format!("no pod '{NS}/nope'")), "{e}");
    assert!(
        e.contains(&format!("{NS}/alpha")) && e.contains(&format!("{NS}/beta")),
        "{e}"
    );

    // pod:NAME is in namespace default, where nothing runs.
    let o = NETSHOOT.run(&[
        "--cri-socket",
        &sock,
        "-t",
        "pod:alpha",
        "exec",
        "--",
        "true",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no pod 'default/alpha'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_cri_socket_names_the_socket_and_the_flag() {
    require_root!();
    let sock = format!("/tmp/{}/containerd.sock", unique("crx"));
    for args in [
        vec![
            "--cri-socket",
            sock.as_str(),
            "-t",
            "pod:default/web",
            "exec",
            "--",
            "true",
        ],
        vec![
            "--cri-socket",
            sock.as_str(),
            "-t",
            "cri:0123abcd",
            "ip",
            "addr",
        ],
    ] {
        let o = NETSHOOT.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = stderr(&o);
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        assert!(e.contains(&sock), "{e}");
        assert!(e.contains("--cri-socket"), "{e}");
        assert!(e.contains(&format!("-v {sock}:{sock}")), "{e}");
    }
    // The environment variable, in JSON: an environment error.
    let o = NETSHOOT.run_env(
        &["--json", "-t", "pod:web", "exec", "--", "true"],
        &[("NETSHOOT_CRI_SOCKET", &format!("unix://{sock}"))],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&stdout(&o));
    assert_eq!(v["kind"], "environment", "{v}");
    assert!(v["error"].as_str().unwrap().contains(&sock), "{v}");
}
