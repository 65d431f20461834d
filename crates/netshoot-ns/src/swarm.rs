//! Swarm services and tasks: `service:NAME[.SLOT]` and `task:ID` targets, and the services
//! overview `targets` prints.
//!
//! A task is entered through its container (`Status.ContainerStatus.ContainerID`), resolved and
//! checked like a `container:` target. Only a manager's engine lists services and tasks, and only
//! a task on this node has a namespace here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::docker::{short, Docker, ServiceInspect};
use crate::resolve::{container_target, Target, TaskRef};
use crate::{NsError, TargetSpec};

/// One entry of `GET /tasks`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    /// Task id.
    #[serde(rename = "ID")]
    pub id: String,
    /// Its service's id.
    #[serde(default, rename = "ServiceID")]
    pub service_id: String,
    /// The node it is assigned to (empty while unassigned).
    #[serde(default, rename = "NodeID")]
    pub node_id: String,
    /// Slot number (replicated services; absent or 0 for global ones).
    #[serde(default)]
    pub slot: Option<u64>,
    /// Observed state.
    #[serde(default)]
    pub status: TaskStatus,
    /// `running`, `shutdown`, …
    #[serde(default)]
    pub desired_state: String,
    /// Its attachments to networks, with addresses.
    #[serde(default)]
    pub networks_attachments: Option<Vec<NetworkAttachment>>,
}

/// `Status` of a task.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskStatus {
    /// `new`, `pending`, `assigned`, `preparing`, `starting`, `running`, `failed`, …
    #[serde(default)]
    pub state: String,
    /// The orchestrator's words (`started`, `no suitable node`).
    #[serde(default)]
    pub message: String,
    /// Its container, once one exists.
    #[serde(default)]
    pub container_status: Option<TaskContainerStatus>,
}

/// `Status.ContainerStatus` of a task.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskContainerStatus {
    /// The container's full id.
    #[serde(default, rename = "ContainerID")]
    pub container_id: String,
}

/// One of a task's network attachments.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAttachment {
    /// The network.
    pub network: AttachedNetwork,
    /// Its addresses on it (CIDR).
    #[serde(default)]
    pub addresses: Option<Vec<String>>,
}

/// `NetworksAttachments[].Network`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedNetwork {
    /// Network id.
    #[serde(rename = "ID")]
    pub id: String,
    /// Its spec (name).
    #[serde(default)]
    pub spec: Option<NameSpec>,
}

/// A spec holding a name.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameSpec {
    /// Name.
    #[serde(default)]
    pub name: String,
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Docker {
    /// `GET /tasks` with `filters` (a JSON object of string lists, as the engine takes them).
    pub fn tasks(&self, filters: &serde_json::Value) -> Result<Vec<Task>, NsError> {
        let path = format!("/tasks?filters={}", encode(&filters.to_string()));
        self.get(&path).map_err(|e| self.to_error(e))
    }

    /// Node id → hostname, as far as the engine says (empty on workers or on failure).
    pub fn node_names(&self) -> BTreeMap<String, String> {
        self.nodes()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| {
                let h = n.description?.hostname;
                (!h.is_empty()).then_some((n.id, h))
            })
            .collect()
    }
}

/// What `/info` says about this node, once checked to be in an active Swarm.
struct LocalNode {
    id: String,
    /// A manager lists services and tasks; a worker knows only its own tasks' containers.
    manager: bool,
}

/// Fails with a one-line error unless this engine is in an active Swarm.
fn local_node(docker: &Docker, spec: &TargetSpec) -> Result<LocalNode, NsError> {
    let info = docker.info()?;
    let swarm = info.swarm.unwrap_or(crate::docker::SwarmInfo {
        local_node_state: "inactive".into(),
        node_id: String::new(),
        node_addr: String::new(),
        control_available: false,
    });
    if swarm.local_node_state != "active" {
        let state = if swarm.local_node_state.is_empty() {
            "inactive"
        } else {
            swarm.local_node_state.as_str()
        };
        return Err(NsError::Docker {
            why: format!(
                "{spec} needs Swarm, and this Docker engine is not in one (Swarm state: {state}): \
                 'docker swarm init' or 'docker swarm join' first, or target a container \
                 (-t container:NAME)"
            ),
        });
    }
    Ok(LocalNode {
        id: swarm.node_id,
        manager: swarm.control_available,
    })
}

/// Swarm's labels on a task's container.
const SERVICE_LABEL: &str = "com.docker.swarm.service.name";
const TASK_ID_LABEL: &str = "com.docker.swarm.task.id";
const TASK_NAME_LABEL: &str = "com.docker.swarm.task.name";

/// A running task container of this engine, from Swarm's labels on it.
struct LocalTask {
    service: String,
    /// `web.2.<task id>` has slot 2; a global service's `web.<node id>.<task id>` has none.
    slot: Option<u64>,
    task: String,
    container: String,
}

/// This engine's running task containers.
fn local_tasks(docker: &Docker) -> Result<Vec<LocalTask>, NsError> {
    Ok(docker
        .containers(false)?
        .into_iter()
        .filter_map(|c| {
            let l = c.labels.as_ref()?;
            let service = l.get(SERVICE_LABEL)?.clone();
            let task = l.get(TASK_ID_LABEL)?.clone();
            let slot = l
                .get(TASK_NAME_LABEL)
                .and_then(|n| n.strip_prefix(&format!("{service}.")))
                .and_then(|rest| rest.split('.').next())
                .and_then(|s| s.parse().ok())
                .filter(|s: &u64| *s > 0);
            Some(LocalTask {
                service,
                slot,
                task,
                container: c.id,
            })
        })
        .collect())
}

/// On a worker node, which lists no services or tasks: the task's container among this
/// engine's own, found by Swarm's labels (`service` with an optional slot, or a task id
/// prefix), entered like a `container:` target.
fn worker_target(
    docker: &Docker,
    spec: &TargetSpec,
    service: Option<(&str, Option<u64>)>,
    task_id: Option<&str>,
) -> Result<Target, NsError> {
    let mut mine = local_tasks(docker)?;
    mine.sort_by(|a, b| (a.slot, &a.task).cmp(&(b.slot, &b.task)));
    let elsewhere = "a worker sees only the tasks it runs: run netshoot on the node that runs it \
                     (or on a manager, which names that node)";
    let found: Vec<&LocalTask> = match (service, task_id) {
        (Some((name, slot)), _) => {
            let of: Vec<_> = mine.iter().filter(|t| t.service == name).collect();
            if of.is_empty() {
                let mut here: Vec<String> = mine.iter().map(|t| t.service.clone()).collect();
                here.sort();
                here.dedup();
                return Err(swarm_err(format!(
                    "no running task of service '{name}' on this worker node; {elsewhere} ({})",
                    crate::list_or_none("services with tasks here", &here)
                )));
            }
            match slot {
                Some(s) => {
                    let hit: Vec<_> = of.into_iter().filter(|t| t.slot == Some(s)).collect();
                    if hit.is_empty() {
                        return Err(swarm_err(format!(
                            "no running task {name}.{s} on this worker node; {elsewhere}"
                        )));
                    }
                    hit
                }
                None => of.into_iter().take(1).collect(),
            }
        }
        (None, Some(id)) => {
            let hit: Vec<_> = mine.iter().filter(|t| t.task.starts_with(id)).collect();
            if hit.is_empty() {
                return Err(swarm_err(format!(
                    "no running task '{id}' on this worker node; {elsewhere}"
                )));
            }
            match hit.iter().find(|t| t.task == id) {
                Some(whole) => vec![*whole],
                None if hit.len() == 1 => hit,
                None => {
                    return Err(swarm_err(format!(
                        "task id prefix '{id}' is ambiguous on this node: give more characters"
                    )))
                }
            }
        }
        (None, None) => Vec::new(),
    };
    let LocalTask {
        service: sname,
        slot,
        task: tid,
        container: cid,
    } = found
        .first()
        .copied()
        .ok_or_else(|| swarm_err(format!("{spec}: nothing to look for")))?;
    let c = docker.inspect_container(cid)?.ok_or_else(|| {
        swarm_err(format!(
            "task {}'s container {} is gone (the task is being replaced): try again",
            short(tid, 12),
            short(cid, 12)
        ))
    })?;
    let mut t = container_target(spec, &c)?;
    t.label = spec.to_string();
    t.task = Some(TaskRef {
        id: tid.clone(),
        name: match slot {
            Some(s) => format!("{sname}.{s}"),
            None => format!("{sname}.{}", short(tid, 12)),
        },
        service: sname.clone(),
        slot: *slot,
        node: "this node (a worker)".into(),
    });
    Ok(t)
}

/// The task's name as `docker service ps` shows it.
fn task_name(service: &str, t: &Task) -> String {
    match t.slot {
        Some(s) if s > 0 => format!("{service}.{s}"),
        _ => format!("{service}.{}", t.node_id),
    }
}

fn node_label(names: &BTreeMap<String, String>, id: &str) -> String {
    names
        .get(id)
        .cloned()
        .unwrap_or_else(|| short(id, 12).to_string())
}

fn container_id(t: &Task) -> Option<&str> {
    t.status
        .container_status
        .as_ref()
        .map(|c| c.container_id.as_str())
        .filter(|c| !c.is_empty())
}

fn swarm_err(why: String) -> NsError {
    NsError::SwarmTarget { why }
}

/// Enters the task's container: resolved, opened and checked like a `container:` target.
fn enter_task(
    docker: &Docker,
    spec: &TargetSpec,
    service: &str,
    t: &Task,
    node: String,
) -> Result<Target, NsError> {
    let name = task_name(service, t);
    let cid = container_id(t).ok_or_else(|| {
        swarm_err(format!(
            "task {name} ({}) has no container yet (state: {}): wait, or see 'docker service ps \
             {service}'",
            short(&t.id, 12),
            t.status.state
        ))
    })?;
    let c = docker.inspect_container(cid)?.ok_or_else(|| {
        swarm_err(format!(
            "task {name}'s container {} is gone (the task is being replaced): try again, or see \
             'docker service ps {service}'",
            short(cid, 12)
        ))
    })?;
    let mut t2 = container_target(spec, &c)?;
    t2.label = spec.to_string();
    t2.task = Some(TaskRef {
        id: t.id.clone(),
        name,
        service: service.to_string(),
        slot: t.slot.filter(|s| *s > 0),
        node,
    });
    Ok(t2)
}

fn inspect_service(docker: &Docker, name: &str) -> Result<ServiceInspect, NsError> {
    match docker.inspect_service(name)? {
        Some(s) => Ok(s),
        None => {
            let mut known: Vec<String> = docker
                .services()
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.spec.name)
                .collect();
            known.sort();
            Err(swarm_err(format!(
                "no Swarm service '{name}'; {}",
                crate::list_or_none("services", &known)
            )))
        }
    }
}

/// `service:NAME[.SLOT]`: the task in that slot, or the lowest-slot running task on this node.
pub(crate) fn service_target(
    spec: &TargetSpec,
    name: &str,
    slot: Option<u64>,
) -> Result<Target, NsError> {
    let docker = Docker::from_env()?;
    let local = local_node(&docker, spec)?;
    if !local.manager {
        return worker_target(&docker, spec, Some((name, slot)), None);
    }
    let svc = inspect_service(&docker, name)?;
    let sname = svc.spec.name.clone();
    let filters = serde_json::json!({"service": [svc.id], "desired-state": ["running"]});
    let mut tasks: Vec<Task> = docker
        .tasks(&filters)?
        .into_iter()
        .filter(|t| t.service_id == svc.id && t.desired_state == "running")
        .collect();
    tasks.sort_by_key(|t| (t.slot.unwrap_or(0), t.id.clone()));
    let global = svc
        .spec
        .mode
        .as_ref()
        .is_some_and(|m| m.global.is_some() && m.replicated.is_none());
    let names = docker.node_names();
    let here = node_label(&names, &local.id);
    if let Some(slot) = slot {
        if global {
            return Err(swarm_err(format!(
                "service '{sname}' is global: its tasks have no slot numbers; use \
                 service:{sname} or task:ID (see 'docker service ps {sname}')"
            )));
        }
        let Some(t) = tasks.iter().find(|t| t.slot == Some(slot)) else {
            let slots: Vec<String> = tasks
                .iter()
                .filter_map(|t| t.slot.map(|s| s.to_string()))
                .collect();
            return Err(swarm_err(format!(
                "service '{sname}' has no task in slot {slot}; {}",
                crate::list_or_none("its slots", &slots)
            )));
        };
        if t.node_id != local.id {
            return Err(swarm_err(format!(
                "task {} runs on node {}, not on this node ({here}): run netshoot there",
                task_name(&sname, t),
                node_label(&names, &t.node_id)
            )));
        }
        if t.status.state != "running" {
            return Err(swarm_err(format!(
                "task {} is not running yet (state: {}{}): wait, or see 'docker service ps \
                 {sname}'",
                task_name(&sname, t),
                t.status.state,
                msg(t)
            )));
        }
        return enter_task(&docker, spec, &sname, t, here);
    }
    let running: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.status.state == "running")
        .collect();
    let mine: Vec<&&Task> = running.iter().filter(|t| t.node_id == local.id).collect();
    let Some(t) = mine.first() else {
        if running.is_empty() {
            let mut states: BTreeMap<String, usize> = BTreeMap::new();
            for t in &tasks {
                *states.entry(t.status.state.clone()).or_default() += 1;
            }
            let states: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
            return Err(swarm_err(format!(
                "service '{sname}' has no running task ({}): wait, or see 'docker service ps \
                 {sname}'",
                if states.is_empty() {
                    "no tasks".to_string()
                } else {
                    format!("tasks: {}", states.join(", "))
                }
            )));
        }
        let mut nodes: Vec<String> = running
            .iter()
            .map(|t| node_label(&names, &t.node_id))
            .collect();
        nodes.sort();
        nodes.dedup();
        return Err(swarm_err(format!(
            "service '{sname}' has no running task on this node ({here}); its tasks run on {}: \
             run netshoot there",
            nodes.join(", ")
        )));
    };
    let mut target = enter_task(&docker, spec, &sname, t, here)?;
    if mine.len() > 1 {
        let others: Vec<String> = mine[1..]
            .iter()
            .map(|t| match t.slot {
                Some(s) if s > 0 => format!("service:{sname}.{s}"),
                _ => format!("task:{}", short(&t.id, 12)),
            })
            .collect();
        target.notes.push(format!(
            "service {sname} has {} running tasks on this node: entered {} (the others: {})",
            mine.len(),
            task_name(&sname, t),
            others.join(", ")
        ));
    }
    Ok(target)
}

fn msg(t: &Task) -> String {
    if t.status.message.is_empty() {
        String::new()
    } else {
        format!(", {}", t.status.message)
    }
}

/// `task:ID`: a task by full id or unique prefix (as `docker inspect` resolves them).
pub(crate) fn task_target(spec: &TargetSpec, id: &str) -> Result<Target, NsError> {
    let docker = Docker::from_env()?;
    let local = local_node(&docker, spec)?;
    if !local.manager {
        return worker_target(&docker, spec, None, Some(id));
    }
    let found = docker.tasks(&serde_json::json!({ "id": [id] }))?;
    let found: Vec<Task> = found.into_iter().filter(|t| t.id.starts_with(id)).collect();
    let t = match found.iter().find(|t| t.id == id) {
        Some(t) => t,
        None if found.len() == 1 => &found[0],
        None if found.is_empty() => {
            return Err(swarm_err(format!(
                "no Swarm task '{id}': task ids are in 'docker service ps SERVICE' \
                 (--no-trunc for whole ids)"
            )))
        }
        None => {
            const MAX: usize = 6;
            let svc_names: BTreeMap<String, String> = docker
                .services()
                .unwrap_or_default()
                .into_iter()
                .map(|s| (s.id, s.spec.name))
                .collect();
            let shown: Vec<String> = found
                .iter()
                .take(MAX)
                .map(|t| {
                    let s = svc_names.get(&t.service_id).map_or("?", |s| s.as_str());
                    format!("{} ({})", short(&t.id, 12), task_name(s, t))
                })
                .collect();
            return Err(swarm_err(format!(
                "task id prefix '{id}' is ambiguous: it matches {}{}; give more characters",
                shown.join(", "),
                if found.len() > MAX {
                    format!(" and {} more", found.len() - MAX)
                } else {
                    String::new()
                }
            )));
        }
    };
    let sname = docker
        .inspect_service(&t.service_id)?
        .map(|s| s.spec.name)
        .unwrap_or_else(|| short(&t.service_id, 12).to_string());
    let names = docker.node_names();
    let here = node_label(&names, &local.id);
    if t.status.state != "running" {
        return Err(swarm_err(format!(
            "task {} ({}) is not running (state: {}, desired: {}{}): see 'docker service ps \
             {sname}' for its running tasks",
            short(&t.id, 12),
            task_name(&sname, t),
            t.status.state,
            t.desired_state,
            msg(t)
        )));
    }
    if t.node_id != local.id {
        return Err(swarm_err(format!(
            "task {} ({}) runs on node {}, not on this node ({here}): run netshoot there",
            short(&t.id, 12),
            task_name(&sname, t),
            node_label(&names, &t.node_id)
        )));
    }
    enter_task(&docker, spec, &sname, t, here)
}

/// A Swarm service with its running tasks, for `targets`.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceGroup {
    /// Service name.
    pub name: String,
    /// Short id.
    pub id: String,
    /// `replicated` or `global`.
    pub mode: String,
    /// Desired replicas (replicated services).
    pub replicas: Option<u64>,
    /// `vip` or `dnsrr`.
    pub endpoint_mode: String,
    /// Its virtual IPs (VIP mode), one per network.
    pub vips: Vec<ServiceVip>,
    /// Its tasks whose desired state is running.
    pub tasks: Vec<TaskEntry>,
}

/// One VIP of a service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceVip {
    /// Network name (its short id when unknown).
    pub network: String,
    /// Address with prefix.
    pub addr: String,
}

/// A task of a service, for `targets`.
#[derive(Debug, Clone, Serialize)]
pub struct TaskEntry {
    /// Task id.
    pub id: String,
    /// Its name (`web.2`).
    pub name: String,
    /// Slot (replicated services).
    pub slot: Option<u64>,
    /// The node it runs on (hostname when known, else id).
    pub node: String,
    /// Whether that node is this one (only these have a namespace here).
    pub local: bool,
    /// Observed state (`running`, `preparing`, …).
    pub state: String,
    /// Its container's short id, once one exists.
    pub container_id: Option<String>,
    /// Addresses per network (CIDR).
    pub addresses: Vec<ServiceVip>,
    /// The SPEC that enters it (`service:web.2`, `task:ID` for global services), when local
    /// and running.
    pub target: Option<String>,
}

/// Every service with its running tasks. `Ok(None)` when the engine is not an active Swarm
/// manager (nothing to group).
pub fn services(docker: &Docker) -> Result<Option<Vec<ServiceGroup>>, NsError> {
    let info = docker.info()?;
    let Some(swarm) = info.swarm else {
        return Ok(None);
    };
    if swarm.local_node_state != "active" || !swarm.control_available {
        return Ok(None);
    }
    let svcs = docker.services()?;
    let tasks = docker.tasks(&serde_json::json!({"desired-state": ["running"]}))?;
    let names = docker.node_names();
    let nets: BTreeMap<String, String> = docker
        .networks()
        .unwrap_or_default()
        .into_iter()
        .map(|n| (n.id, n.name))
        .collect();
    let net_name = |id: &str| {
        nets.get(id)
            .cloned()
            .unwrap_or_else(|| short(id, 12).to_string())
    };
    let mut out: Vec<ServiceGroup> = svcs
        .into_iter()
        .map(|s| {
            let mode = s.spec.mode.clone().unwrap_or_default();
            let global = mode.global.is_some() && mode.replicated.is_none();
            let mut ts: Vec<&Task> = tasks
                .iter()
                .filter(|t| t.service_id == s.id && t.desired_state == "running")
                .collect();
            ts.sort_by_key(|t| (t.slot.unwrap_or(0), t.id.clone()));
            let name = s.spec.name.clone();
            ServiceGroup {
                id: short(&s.id, 12).to_string(),
                mode: if global { "global" } else { "replicated" }.into(),
                replicas: mode.replicated.and_then(|r| r.replicas),
                endpoint_mode: s
                    .spec
                    .endpoint_spec
                    .as_ref()
                    .map(|e| e.mode.clone())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "vip".into()),
                vips: s
                    .endpoint
                    .as_ref()
                    .map(|e| {
                        e.virtual_ips
                            .iter()
                            .map(|v| ServiceVip {
                                network: net_name(&v.network_id),
                                addr: v.addr.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                tasks: ts
                    .into_iter()
                    .map(|t| {
                        let local = t.node_id == swarm.node_id;
                        let slot = t.slot.filter(|s| *s > 0);
                        TaskEntry {
                            id: t.id.clone(),
                            name: task_name(&name, t),
                            slot,
                            node: node_label(&names, &t.node_id),
                            local,
                            state: t.status.state.clone(),
                            container_id: container_id(t).map(|c| short(c, 12).to_string()),
                            addresses: t
                                .networks_attachments
                                .iter()
                                .flatten()
                                .flat_map(|a| {
                                    let n = a
                                        .network
                                        .spec
                                        .as_ref()
                                        .map(|s| s.name.clone())
                                        .filter(|n| !n.is_empty())
                                        .unwrap_or_else(|| net_name(&a.network.id));
                                    a.addresses.iter().flatten().map(move |addr| ServiceVip {
                                        network: n.clone(),
                                        addr: addr.clone(),
                                    })
                                })
                                .collect(),
                            target: (local && t.status.state == "running").then(|| match slot {
                                Some(s) => format!("service:{name}.{s}"),
                                None => format!("task:{}", short(&t.id, 12)),
                            }),
                        }
                    })
                    .collect(),
                name,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_percent_encoded() {
        assert_eq!(
            encode(r#"{"id":["ab"]}"#),
            "%7B%22id%22%3A%5B%22ab%22%5D%7D"
        );
    }

    #[test]
    fn task_names_follow_docker_service_ps() {
        let mut t: Task = serde_json::from_str(r#"{"ID":"t1","NodeID":"n1","Slot":2}"#).unwrap();
        assert_eq!(task_name("web", &t), "web.2");
        t.slot = None;
        assert_eq!(task_name("web", &t), "web.n1");
    }
}
