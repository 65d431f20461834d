//! `ipvs`: virtual services and real servers (`ipvsadm -Ln`, with `--stats`).

use std::fmt::Write as _;

use clap::Args;
use netshoot_inspect::ipvs::{IpvsError, Table};

use crate::render::Output;

/// `ipvs` options.
#[derive(Debug, Args)]
pub struct IpvsArgs {
    /// Counters: connections, packets and bytes in and out (`ipvsadm -Ln --stats`).
    #[arg(long)]
    pub stats: bool,
    /// Numeric output (always; accepted for ipvsadm's muscle memory).
    #[arg(short = 'n', long)]
    pub numeric: bool,
    /// List (the default; accepted as in `ipvsadm -L`).
    #[arg(short = 'L', long)]
    pub list: bool,
}

/// Runs `ipvs` in the (already entered) target.
pub fn run(args: &IpvsArgs, out: &Output) -> anyhow::Result<i32> {
    let t = netshoot_inspect::ipvs::table().map_err(|e| match e {
        IpvsError::NoIpvs | IpvsError::Permission | IpvsError::Io(_) => anyhow::anyhow!("{e}"),
    })?;
    out.emit(&t, |t| text(t, args.stats))?;
    Ok(0)
}

fn endpoint(a: Option<std::net::IpAddr>, port: u16) -> String {
    match a {
        Some(std::net::IpAddr::V6(v)) => format!("[{v}]:{port}"),
        Some(v) => format!("{v}:{port}"),
        None => format!("-:{port}"),
    }
}

/// The table as `ipvsadm -Ln` (or `-Ln --stats`) prints it.
pub fn text(t: &Table, stats: bool) -> String {
    let mut s = format!(
        "IP Virtual Server version {} (size={})\n",
        t.version.as_deref().unwrap_or("?"),
        t.conn_tab_size
            .map(|n| n.to_string())
            .unwrap_or_else(|| "?".into())
    );
    if stats {
        s.push_str(
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n",
        );
        s.push_str("  -> RemoteAddress:Port\n");
    } else {
        s.push_str("Prot LocalAddress:Port Scheduler Flags\n");
        s.push_str("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
    }
    for v in &t.services {
        let head = match v.fwmark {
            Some(m) => format!("FWM  {m}"),
            None => format!("{:<4} {}", v.protocol, endpoint(v.addr, v.port)),
        };
        if stats {
            let st = &v.stats;
            let _ = writeln!(
                s,
                "{head:<33} {:>8} {:>8} {:>8} {:>8} {:>8}",
                st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes
            );
        } else {
            let _ = write!(s, "{head} {}", v.scheduler);
            if let Some(p) = v.persistent {
                let _ = write!(s, " persistent {p}");
            }
            s.push('\n');
        }
        for d in &v.dests {
            let ep = endpoint(d.addr, d.port);
            if stats {
                let st = &d.stats;
                let _ = writeln!(
                    s,
                    "  -> {ep:<28} {:>8} {:>8} {:>8} {:>8} {:>8}",
                    st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes
                );
            } else {
                let _ = writeln!(
                    s,
                    "  -> {ep:<28} {:<7} {:<6} {:<10} {}",
                    d.forward, d.weight, d.active_conns, d.inactive_conns
                );
            }
        }
    }
    s
}
