//! `bridge`: iproute2's `bridge [-j [-p]] [-s] [-d] [-n NETNS] { fdb | link } show …`, printed
//! as iproute2 6.1 prints it, from the same views as our `bridge` verb
//! (`netshoot_inspect::bridge::{fdb, bridges}`). `netshoot bridge …` lands here too, so the
//! verb's own forms (`bridge` alone, `bridge fdb BRIDGE`, `--json`) keep working.

use super::getopt::usage;
use super::{Ctx, Tool};
use crate::cmd::bridge::{self as view, PortView};
use crate::cmd::ip::json_text;

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["bridge"],
    about: "bridge ports and forwarding databases (iproute2's bridge, read-only)",
    run,
};

const HELP: &str = "\
Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }
where  OBJECT := { link | fdb }
       OPTIONS := { -s[tatistics] | -d[etails] | -j[son] | -p[retty] | -n[etns] NAME | -V }
  bridge -d link             adds each port's flags (hairpin, learning, flood, ...)
Commands (read-only):
  bridge fdb [show] [br BRIDGE] [brport|dev DEV] [vlan VID] [state STATE] [dynamic]
  bridge link [show] [dev DEV]
  bridge                      netshoot's own view: every bridge with its ports
netshoot's own spelling works too: bridge fdb [br] BRIDGE; --json before the name gives
netshoot's JSON (with each MAC's owner), -j iproute2's. netshoot -v bridge fdb adds
'# container web', '# task web.2' after each MAC Docker knows.
Not supported: bridge mdb, vlan, vni, monitor; -d with -j for link; every write (add, del,
set, flush, ...).
";

#[derive(Debug, Default)]
struct Req {
    json: bool,
    pretty: bool,
    stats: bool,
    netns: Option<String>,
    object: Option<&'static str>,
    br: Option<String>,
    dev: Option<String>,
    vlan: Option<u16>,
    state: Option<u16>,
    dynamic: bool,
    details: bool,
}

fn matches(arg: &str, word: &str) -> bool {
    !arg.is_empty() && word.starts_with(arg)
}

fn parse(args: &[String]) -> anyhow::Result<Option<Req>> {
    let mut r = Req::default();
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i].len() > 1 {
        let raw = args[i].as_str();
        let opt = if raw.starts_with("--") {
            &raw[1..]
        } else {
            raw
        };
        if matches(opt, "-json") {
            r.json = true;
        } else if matches(opt, "-pretty") {
            r.pretty = true;
        } else if matches(opt, "-stats") || matches(opt, "-statistics") {
            r.stats = true;
        } else if matches(opt, "-details") {
            // No detail of the fdb lines depends on it; `bridge -d link` is refused below.
        } else if matches(opt, "-netns") {
            r.netns = Some(
                args.get(i + 1)
                    .cloned()
                    .ok_or_else(|| usage("bridge", "option '-n' needs a namespace name"))?,
            );
            i += 1;
        } else if matches(opt, "-Version") {
            println!(
                "bridge (netshoot {}): iproute2 6.1's output, read over netlink by netshoot",
                env!("CARGO_PKG_VERSION")
            );
            return Ok(None);
        } else if matches(opt, "-help") {
            print!("{HELP}");
            return Ok(None);
        } else {
            let known = [
                "-timestamp",
                "-compressvlans",
                "-force",
                "-batch",
                "-color",
                "-oneline",
            ];
            return Err(usage(
                "bridge",
                if known.iter().any(|k| matches(opt, k)) {
                    format!(
                        "option '{raw}' is not supported by netshoot; supported: -s -d -j -p -n"
                    )
                } else {
                    format!("Option \"{raw}\" is unknown: supported are -s -d -j -p -n")
                },
            ));
        }
        i += 1;
    }
    let Some(word) = args.get(i) else {
        return Ok(Some(r));
    };
    i += 1;
    let details = args[..i]
        .iter()
        .any(|a| a.starts_with('-') && matches(a.trim_start_matches('-'), "details"));
    r.object = Some(match word.as_str() {
        w if matches(w, "link") => "link",
        w if matches(w, "fdb") => "fdb",
        w if ["mdb", "vlan", "vni", "monitor"]
            .iter()
            .any(|o| matches(w, o)) =>
        {
            return Err(usage(
                "bridge",
                format!(
                    "'bridge {w}' is not supported by netshoot; supported: fdb show, link show"
                ),
            ))
        }
        w if matches(w, "help") => {
            print!("{HELP}");
            return Ok(None);
        }
        w => {
            return Err(usage(
                "bridge",
                format!("Object \"{w}\" is unknown, try \"bridge help\""),
            ))
        }
    });
    let obj = r.object.unwrap_or("fdb");
    r.details = details;
    if obj == "link" && details && r.json {
        return Err(usage(
            "bridge",
            "'bridge -d -j link' is not supported by netshoot; use 'bridge -d link' or 'bridge -j link'",
        ));
    }
    let mut rest = &args[i..];
    if let Some(c) = rest.first().map(String::as_str) {
        if matches(c, "show") || matches(c, "list") || matches(c, "lst") {
            rest = &rest[1..];
        } else if matches(c, "help") {
            print!("{HELP}");
            return Ok(None);
        } else if [
            "add", "append", "del", "delete", "replace", "flush", "set", "get", "change",
        ]
        .iter()
        .any(|w| c == *w || (c.len() > 2 && matches(c, w)))
        {
            return Err(usage(
                "bridge",
                format!(
                    "'bridge {obj} {c}' is not supported: netshoot is read-only; run the host's \
                     bridge there (nsenter -n -t PID bridge {obj} {c} ...)"
                ),
            ));
        }
    }
    let mut k = 0;
    while k < rest.len() {
        let a = rest[k].as_str();
        let val = |k: usize| -> anyhow::Result<String> {
            rest.get(k + 1)
                .cloned()
                .ok_or_else(|| usage("bridge", format!("'{a}' needs a value")))
        };
        match (obj, a) {
            (_, "dev") | ("fdb", "brport") => {
                r.dev = Some(val(k)?);
                k += 1;
            }
            ("fdb", "br") => {
                r.br = Some(val(k)?);
                k += 1;
            }
            ("fdb", "vlan") => {
                let v = val(k)?;
                r.vlan = Some(
                    v.parse()
                        .map_err(|_| usage("bridge", format!("vlan '{v}' is not a number")))?,
                );
                k += 1;
            }
            ("fdb", "state") => {
                let v = val(k)?;
                let bits = match v.as_str() {
                    s if matches(s, "permanent") => 0x80,
                    s if matches(s, "static") || matches(s, "temp") => 0x40,
                    s if matches(s, "stale") => 0x04,
                    s if matches(s, "reachable") || matches(s, "dynamic") => 0x02,
                    "all" => 0xffff,
                    s => s.parse().map_err(|_| {
                        usage(
                            "bridge",
                            format!(
                                "invalid state '{s}': give permanent, static, stale or reachable"
                            ),
                        )
                    })?,
                };
                *r.state.get_or_insert(0) |= bits;
                k += 1;
            }
            ("fdb", "dynamic") => r.dynamic = true,
            // Our verb's spelling: `bridge fdb BRIDGE`.
            ("fdb", b) if !b.starts_with('-') && r.br.is_none() => r.br = Some(b.to_string()),
            _ => {
                return Err(usage(
                    "bridge",
                    format!(
                        "'bridge {obj} show {a}' is not supported by netshoot; supported: {}",
                        if obj == "fdb" {
                            "br BRIDGE, brport|dev DEV, vlan VID, state STATE, dynamic"
                        } else {
                            "dev DEV"
                        }
                    ),
                ))
            }
        }
        k += 1;
    }
    Ok(Some(r))
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(r) = parse(args)? else {
        return Ok(0);
    };
    let mut ctx = ctx.clone();
    if let Some(n) = &r.netns {
        ctx.target = Some(format!("netns:{n}"));
    }
    // `netshoot bridge` alone is our verb's view (brctl-like), and `--json` our verb's JSON.
    if r.object.is_none() || ctx.json {
        let mut v = vec!["bridge".to_string()];
        match r.object {
            Some("link") => v.push("link".into()),
            Some(_) => {
                if r.dev.is_some() || r.vlan.is_some() || r.state.is_some() || r.dynamic {
                    return Err(usage(
                        "bridge",
                        "with netshoot's --json, bridge fdb takes only [br] BRIDGE; use -j for \
                         iproute2's JSON with filters",
                    ));
                }
                v.push("fdb".into());
                if let Some(b) = &r.br {
                    v.push("br".into());
                    v.push(b.clone());
                }
            }
            None => {}
        }
        return ctx.verb(&v);
    }
    let target = ctx.enter()?;
    let err = |e: std::io::Error| anyhow::anyhow!("cannot read bridges over netlink: {e}");
    let ifs = crate::cmd::ip::netlink(netshoot_inspect::interfaces())?;
    if let Some(d) = &r.dev {
        crate::cmd::ip::check_dev(&ifs, d, &target)?;
    }
    let bridges = netshoot_inspect::bridge::bridges().map_err(err)?;
    let out = if r.object == Some("link") {
        let mut ports: Vec<PortView> = Vec::new();
        for b in &bridges {
            for p in &b.ports {
                if r.dev.as_ref().is_some_and(|d| d != &p.ifname) {
                    continue;
                }
                if let Some(iface) = ifs.iter().find(|i| i.index == p.ifindex) {
                    ports.push(PortView { iface, port: p });
                }
            }
        }
        ports.sort_by_key(|p| p.iface.index);
        if r.json {
            json_text(&view::bridge_link_json(&ports), r.pretty)
        } else {
            view::bridge_link_lines(&ports, r.details)
        }
    } else {
        if let Some(b) = &r.br {
            if !bridges.iter().any(|x| &x.name == b) {
                let names: Vec<&str> = bridges.iter().map(|x| x.name.as_str()).collect();
                return Err(usage(
                    "bridge",
                    format!(
                        "no bridge '{b}' in this namespace; bridges here: {}",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
            }
        }
        let mut f = netshoot_inspect::bridge::fdb(r.br.as_deref()).map_err(err)?;
        if let Some(d) = &r.dev {
            f.retain(|e| &e.ifname == d);
        }
        if let Some(v) = r.vlan {
            f.retain(|e| e.vlan.unwrap_or(0) == v);
        }
        if let Some(s) = r.state {
            f.retain(|e| e.nud & s != 0);
        }
        if r.dynamic {
            f.retain(|e| e.nud & 0x80 == 0);
        }
        if r.json {
            json_text(&view::fdb_json(&f, r.dev.is_some(), r.stats), r.pretty)
        } else {
            // `netshoot -v bridge fdb`: each MAC's container, task or load balancer.
            crate::cmd::ip::fdb_owners(ctx.verbose > 0).name_fdb(&mut f);
            view::fdb_lines(&f, r.dev.is_some(), r.stats)
        }
    };
    // Interface names are any netns root's to set: escaped in text.
    if r.json {
        print!("{out}");
    } else {
        print!("{}", crate::render::safe_text(&out));
    }
    Ok(0)
}
