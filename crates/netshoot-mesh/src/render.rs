//! What the server answers: the Prometheus text, this instance's view as JSON, the gathered
//! matrix of every instance's view, and the heatmap page.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::state::{Round, State, BUCKETS, PROBES};

/// One peer as this instance sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerView {
    /// Its address.
    pub addr: IpAddr,
    /// The names it was found by.
    pub names: Vec<String>,
    /// Its last round succeeded in every probe.
    pub ok: bool,
    /// Its last path MTU.
    pub mtu: Option<u32>,
    /// Its last rounds, oldest first.
    pub history: Vec<Round>,
}

/// One instance's view (`/api/v1/mesh`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct View {
    /// The instance's own address (`null` before it knew one).
    pub instance: Option<IpAddr>,
    /// Discovery rounds done.
    pub rounds: u64,
    /// Its peers.
    pub peers: Vec<PeerView>,
    /// What went wrong in its last discovery.
    pub warnings: Vec<String>,
}

/// `state` as a view.
pub fn view(state: &State) -> View {
    View {
        instance: state.instance,
        rounds: state.rounds,
        peers: state
            .peers
            .values()
            .map(|p| PeerView {
                addr: p.addr,
                names: p.names.clone(),
                ok: p.history.back().is_some_and(Round::ok),
                mtu: p.mtu,
                history: p.history.iter().cloned().collect(),
            })
            .collect(),
        warnings: state.warnings.clone(),
    }
}

/// One pair of the matrix, from the last round `from` ran against `to`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    /// The prober.
    pub from: IpAddr,
    /// The probed.
    pub to: IpAddr,
    /// Every probe of its last round succeeded (false before any round).
    pub ok: bool,
    /// The probes that failed.
    pub failed: Vec<String>,
    /// TCP connect time, ms.
    pub tcp_ms: Option<f64>,
    /// ICMP round trip, ms.
    pub icmp_ms: Option<f64>,
    /// Failed rounds among the last ones kept.
    pub loss: f64,
    /// Rounds kept.
    pub rounds: usize,
    /// Errors of the last round, `probe: why`.
    pub errors: Vec<String>,
}

/// An instance that could not be asked for its view.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unreachable {
    /// Its address.
    pub addr: IpAddr,
    /// Why.
    pub error: String,
}

/// Every instance's view gathered (`/api/v1/mesh?all=1`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gathered {
    /// The instances, by address: this one and every peer.
    pub instances: Vec<IpAddr>,
    /// Instances that did not give their view.
    pub unreachable: Vec<Unreachable>,
    /// Every pair whose prober gave its view.
    pub matrix: Vec<Cell>,
    /// The views.
    pub views: Vec<View>,
}

impl Gathered {
    /// Nothing failed: every instance answered and every pair is ok.
    pub fn all_ok(&self) -> bool {
        self.unreachable.is_empty() && self.matrix.iter().all(|c| c.ok)
    }
}

/// The matrix of `views` (this instance's first), with `unreachable` instances listed.
pub fn gather(views: Vec<View>, unreachable: Vec<Unreachable>) -> Gathered {
    let mut instances: Vec<IpAddr> = views
        .iter()
        .flat_map(|v| v.instance.into_iter().chain(v.peers.iter().map(|p| p.addr)))
        .chain(unreachable.iter().map(|u| u.addr))
        .collect();
    instances.sort();
    instances.dedup();
    let mut matrix = Vec::new();
    for v in &views {
        let Some(from) = v.instance else { continue };
        for p in &v.peers {
            let last = p.history.last();
            let failed_rounds = p.history.iter().filter(|r| !r.ok()).count();
            matrix.push(Cell {
                from,
                to: p.addr,
                ok: last.is_some_and(Round::ok),
                failed: last.map(Round::failed).unwrap_or_default(),
                tcp_ms: last.and_then(|r| r.probes.get("tcp").filter(|t| t.ok).map(|t| t.ms)),
                icmp_ms: last.and_then(|r| r.probes.get("icmp").filter(|t| t.ok).map(|t| t.ms)),
                loss: if p.history.is_empty() {
                    0.0
                } else {
                    failed_rounds as f64 / p.history.len() as f64
                },
                rounds: p.history.len(),
                errors: last
                    .map(|r| {
                        r.probes
                            .iter()
                            .filter_map(|(k, v)| v.error.as_ref().map(|e| format!("{k}: {e}")))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
    // An instance that did not answer: its pairs count as failing (unknown from here, and
    // whatever keeps its view from us likely keeps its probes too).
    for u in &unreachable {
        for to in instances.iter().filter(|a| **a != u.addr) {
            matrix.push(Cell {
                from: u.addr,
                to: *to,
                ok: false,
                failed: vec!["unreachable".into()],
                tcp_ms: None,
                icmp_ms: None,
                loss: 1.0,
                rounds: 0,
                errors: vec![format!("{} did not answer: {}", u.addr, u.error)],
            });
        }
    }
    Gathered {
        instances,
        unreachable,
        matrix,
        views,
    }
}

/// A Prometheus label value: `\`, `"` and newline escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The Prometheus text exposition of `state`.
pub fn metrics(state: &State) -> String {
    let from = state
        .instance
        .map(|i| i.to_string())
        .unwrap_or_else(|| "unknown".into());
    let from = label(&from);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# HELP netshoot_mesh_peers Peers this instance probes.\n# TYPE netshoot_mesh_peers gauge\nnetshoot_mesh_peers{{from=\"{from}\"}} {}",
        state.peers.len()
    );
    let _ = writeln!(
        s,
        "# HELP netshoot_mesh_rounds_total Discovery and probe rounds started.\n# TYPE netshoot_mesh_rounds_total counter\nnetshoot_mesh_rounds_total{{from=\"{from}\"}} {}",
        state.rounds
    );
    s.push_str("# HELP netshoot_mesh_probe_duration_seconds Duration of successful probes.\n# TYPE netshoot_mesh_probe_duration_seconds histogram\n");
    for p in state.peers.values() {
        let to = label(&p.addr.to_string());
        for probe in PROBES {
            let Some(t) = p.tallies.get(probe) else {
                continue;
            };
            let mut cum = 0;
            for (i, b) in BUCKETS.iter().enumerate() {
                cum += t.buckets[i];
                let _ = writeln!(
                    s,
                    "netshoot_mesh_probe_duration_seconds_bucket{{from=\"{from}\",to=\"{to}\",probe=\"{probe}\",le=\"{b}\"}} {cum}"
                );
            }
            cum += t.buckets[BUCKETS.len()];
            let _ = writeln!(
                s,
                "netshoot_mesh_probe_duration_seconds_bucket{{from=\"{from}\",to=\"{to}\",probe=\"{probe}\",le=\"+Inf\"}} {cum}\n\
                 netshoot_mesh_probe_duration_seconds_sum{{from=\"{from}\",to=\"{to}\",probe=\"{probe}\"}} {}\n\
                 netshoot_mesh_probe_duration_seconds_count{{from=\"{from}\",to=\"{to}\",probe=\"{probe}\"}} {cum}",
                t.sum_s
            );
        }
    }
    s.push_str("# HELP netshoot_mesh_probes_total Probes run, by result.\n# TYPE netshoot_mesh_probes_total counter\n");
    for p in state.peers.values() {
        let to = label(&p.addr.to_string());
        for (probe, t) in &p.tallies {
            for (result, n) in [("ok", t.ok), ("fail", t.fail)] {
                let _ = writeln!(
                    s,
                    "netshoot_mesh_probes_total{{from=\"{from}\",to=\"{to}\",probe=\"{probe}\",result=\"{result}\"}} {n}"
                );
            }
        }
    }
    s.push_str("# HELP netshoot_mesh_last_success_timestamp_seconds When a probe last succeeded (Unix time).\n# TYPE netshoot_mesh_last_success_timestamp_seconds gauge\n");
    for p in state.peers.values() {
        let to = label(&p.addr.to_string());
        for (probe, t) in &p.tallies {
            if let Some(at) = t.last_success {
                let _ = writeln!(
                    s,
                    "netshoot_mesh_last_success_timestamp_seconds{{from=\"{from}\",to=\"{to}\",probe=\"{probe}\"}} {at:.3}"
                );
            }
        }
    }
    s.push_str("# HELP netshoot_mesh_up Whether the peer's last round succeeded in every probe.\n# TYPE netshoot_mesh_up gauge\n");
    for p in state.peers.values() {
        let to = label(&p.addr.to_string());
        let up = p.history.back().is_some_and(Round::ok);
        let _ = writeln!(
            s,
            "netshoot_mesh_up{{from=\"{from}\",to=\"{to}\"}} {}",
            u8::from(up)
        );
    }
    s.push_str("# HELP netshoot_mesh_path_mtu_bytes The path MTU last measured.\n# TYPE netshoot_mesh_path_mtu_bytes gauge\n");
    for p in state.peers.values() {
        if let Some(m) = p.mtu {
            let _ = writeln!(
                s,
                "netshoot_mesh_path_mtu_bytes{{from=\"{from}\",to=\"{}\"}} {m}",
                label(&p.addr.to_string())
            );
        }
    }
    s
}

/// Page text: the one sanitiser, then entities (`netshoot_wire::text::escape_xml`).
fn html(s: &str) -> String {
    netshoot_wire::text::escape_xml(s)
}

/// A cell's colour: red for a failing pair; dark orange for one that answers now but lost
/// rounds among those kept; else green to amber by TCP connect time.
pub fn colour(c: &Cell) -> &'static str {
    if !c.ok {
        return "#dc2626";
    }
    if c.loss > 0.0 {
        return "#c2410c";
    }
    match c.tcp_ms.unwrap_or(0.0) {
        t if t < 5.0 => "#16a34a",
        t if t < 50.0 => "#84cc16",
        t if t < 250.0 => "#eab308",
        _ => "#f97316",
    }
}

/// The heatmap page: one cell per ordered pair (rows probe columns), coloured by the last
/// round, the figures in each cell's tooltip; it reloads itself every `refresh_s` seconds. No
/// script, no external file.
pub fn page(g: &Gathered, refresh_s: u64) -> String {
    let cells: BTreeMap<(IpAddr, IpAddr), &Cell> =
        g.matrix.iter().map(|c| ((c.from, c.to), c)).collect();
    let down: BTreeMap<IpAddr, &str> = g
        .unreachable
        .iter()
        .map(|u| (u.addr, u.error.as_str()))
        .collect();
    let failing = g.matrix.iter().filter(|c| !c.ok).count();
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"{refresh_s}\"><title>netshoot mesh</title><style>\
         body{{margin:16px;font-family:\"DejaVu Sans\",Verdana,Arial,sans-serif;font-size:12px;color:#1f2328;background:#fff}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #fff;padding:0}}\
         th{{font-weight:normal;padding:2px 6px;white-space:nowrap}}\
         td.cell{{width:44px;height:28px;text-align:center;color:#fff;font-size:10px}}\
         td.self{{background:#d1d5db}}td.none{{background:#9ca3af}}\
         </style></head><body>\n<h1 style=\"font-size:16px\">netshoot mesh: {} instances, {} pairs, {failing} failing, {} not answering</h1>\n\
         <table><tr><th>from \\ to</th>",
        g.instances.len(),
        g.matrix.len(),
        g.unreachable.len()
    );
    for to in &g.instances {
        let _ = write!(s, "<th>{}</th>", html(&to.to_string()));
    }
    s.push_str("</tr>\n");
    for from in &g.instances {
        let _ = write!(s, "<tr><th>{}</th>", html(&from.to_string()));
        for to in &g.instances {
            if from == to {
                s.push_str("<td class=\"cell self\"></td>");
                continue;
            }
            match cells.get(&(*from, *to)) {
                Some(c) => {
                    let mut tip = format!(
                        "{from} -> {to}: {}\nloss {:.0}% of {} rounds",
                        if c.ok { "ok" } else { "FAILING" },
                        c.loss * 100.0,
                        c.rounds
                    );
                    if let Some(t) = c.tcp_ms {
                        let _ = write!(tip, "\ntcp {t:.2} ms");
                    }
                    if let Some(t) = c.icmp_ms {
                        let _ = write!(tip, "\nicmp {t:.2} ms");
                    }
                    for e in &c.errors {
                        let _ = write!(tip, "\n{e}");
                    }
                    let text = if c.ok {
                        c.tcp_ms.map(|t| format!("{t:.1}")).unwrap_or_default()
                    } else {
                        "fail".into()
                    };
                    let _ = write!(
                        s,
                        "<td class=\"cell {}\" data-from=\"{from}\" data-to=\"{to}\" style=\"background:{}\" title=\"{}\">{}</td>",
                        if c.ok { "ok" } else { "bad" },
                        colour(c),
                        html(&tip),
                        html(&text)
                    );
                }
                None => {
                    let why = down
                        .get(from)
                        .map(|e| format!("{from} did not answer: {e}"))
                        .unwrap_or_else(|| format!("{from} does not probe {to} (yet)"));
                    let _ = write!(
                        s,
                        "<td class=\"cell none\" data-from=\"{from}\" data-to=\"{to}\" title=\"{}\">?</td>",
                        html(&why)
                    );
                }
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n</body></html>\n");
    s
}

/// The matrix as a terminal table (`netshoot mesh status`): rows probe columns; `ok 0.4` (TCP
/// ms), `FAIL tcp,icmp`, `-` for itself, `?` for a pair not reported.
pub fn table(g: &Gathered) -> String {
    let cells: BTreeMap<(IpAddr, IpAddr), &Cell> =
        g.matrix.iter().map(|c| ((c.from, c.to), c)).collect();
    let name = |a: &IpAddr| a.to_string();
    let w0 = g
        .instances
        .iter()
        .map(|a| name(a).len())
        .max()
        .unwrap_or(4)
        .max(9);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for from in &g.instances {
        let mut row = vec![name(from)];
        for to in &g.instances {
            row.push(if from == to {
                "-".into()
            } else {
                match cells.get(&(*from, *to)) {
                    Some(c) if c.ok => format!("ok {:.1}", c.tcp_ms.unwrap_or(0.0)),
                    Some(c) if c.failed.is_empty() => "pending".into(),
                    Some(c) => format!("FAIL {}", c.failed.join(",")),
                    None => "?".into(),
                }
            });
        }
        rows.push(row);
    }
    let mut widths = vec![w0];
    for (k, to) in g.instances.iter().enumerate() {
        let w = rows
            .iter()
            .map(|r| r[k + 1].len())
            .chain([name(to).len()])
            .max()
            .unwrap_or(1);
        widths.push(w);
    }
    let mut s = String::new();
    let _ = write!(s, "{:<w$}", "from \\ to", w = widths[0]);
    for (k, to) in g.instances.iter().enumerate() {
        let _ = write!(s, "  {:<w$}", name(to), w = widths[k + 1]);
    }
    s.truncate(s.trim_end_matches(' ').len());
    s.push('\n');
    for r in &rows {
        let _ = write!(s, "{:<w$}", r[0], w = widths[0]);
        for (k, c) in r[1..].iter().enumerate() {
            let _ = write!(s, "  {:<w$}", c, w = widths[k + 1]);
        }
        s.truncate(s.trim_end_matches(' ').len());
        s.push('\n');
    }
    for u in &g.unreachable {
        let _ = writeln!(s, "{} did not answer: {}", u.addr, u.error);
    }
    let bad: Vec<&Cell> = g
        .matrix
        .iter()
        .filter(|c| !c.ok && c.rounds > 0 && !c.errors.is_empty())
        .collect();
    for c in &bad {
        let _ = writeln!(s, "{} -> {}: {}", c.from, c.to, c.errors.join("; "));
    }
    let _ = writeln!(
        s,
        "{} instances, {} pairs, {} failing, {} not answering",
        g.instances.len(),
        g.matrix.len(),
        g.matrix.iter().filter(|c| !c.ok).count(),
        g.unreachable.len()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(ok: bool, loss: f64, tcp_ms: Option<f64>) -> Cell {
        Cell {
            from: "10.0.0.1".parse().unwrap(),
            to: "10.0.0.2".parse().unwrap(),
            ok,
            failed: if ok { vec![] } else { vec!["tcp".into()] },
            tcp_ms,
            icmp_ms: None,
            loss,
            rounds: 10,
            errors: vec![],
        }
    }

    #[test]
    fn cells_are_coloured_by_failure_then_loss_then_latency() {
        assert_eq!(colour(&cell(false, 0.1, None)), "#dc2626");
        assert_eq!(colour(&cell(true, 0.1, Some(0.2))), "#c2410c");
        assert_eq!(colour(&cell(true, 0.0, Some(0.2))), "#16a34a");
        assert_eq!(colour(&cell(true, 0.0, Some(300.0))), "#f97316");
    }

    #[test]
    fn a_gathered_matrix_counts_an_unreachable_instance_as_failing() {
        let v = View {
            instance: Some("10.0.0.1".parse().unwrap()),
            rounds: 1,
            peers: vec![],
            warnings: vec![],
        };
        let g = gather(
            vec![v],
            vec![Unreachable {
                addr: "10.0.0.2".parse().unwrap(),
                error: "timeout".into(),
            }],
        );
        assert_eq!(g.instances.len(), 2);
        assert!(!g.all_ok());
        assert_eq!(g.matrix.len(), 1);
        assert_eq!(g.matrix[0].failed, ["unreachable"]);
        assert!(table(&g).contains("FAIL unreachable"));
    }
}
