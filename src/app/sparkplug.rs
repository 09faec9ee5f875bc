//! The Sparkplug view's model: groups, edge nodes and devices as rows (from the tracker in
//! `payload::sparkplug::state`), the selection whose metrics the table shows, and a rebirth request
//! (NCMD `Node Control/Rebirth` = true) after a confirmation. Pure.

use crate::codec::{Bytes, Properties, QoS};
use crate::payload::sparkplug::proto::{Metric, MetricValue, Payload};
use crate::payload::sparkplug::state::{Endpoint, Network};
use crate::session::{Command, OutgoingPublish};
use prost::Message as _;

/// The metric a host sets to ask an edge node for a new NBIRTH and DBIRTHs (Sparkplug 3.0 §6.4.4).
pub const REBIRTH_METRIC: &str = "Node Control/Rebirth";

/// One row of the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Group(String),
    Node(String, String),
    Device(String, String, String),
}

#[derive(Debug, Default)]
pub struct SparkplugView {
    pub selected: usize,
    /// The edge node (group, node) a rebirth request waits for a yes on.
    pub confirm: Option<(String, String)>,
}

/// Every group, edge node and device in order.
pub fn rows(net: &Network) -> Vec<Row> {
    let mut out = Vec::new();
    for (g, group) in &net.groups {
        out.push(Row::Group(g.clone()));
        for (n, node) in &group.nodes {
            out.push(Row::Node(g.clone(), n.clone()));
            out.extend(node.devices.keys().map(|d| Row::Device(g.clone(), n.clone(), d.clone())));
        }
    }
    out
}

/// The node or device a row stands for (none for a group).
pub fn endpoint<'a>(net: &'a Network, row: &Row) -> Option<&'a Endpoint> {
    match row {
        Row::Group(_) => None,
        Row::Node(g, n) => Some(&net.groups.get(g)?.nodes.get(n)?.endpoint),
        Row::Device(g, n, d) => net.groups.get(g)?.nodes.get(n)?.devices.get(d),
    }
}

/// The NCMD that asks `node` of `group` to rebirth.
pub fn rebirth_command(group: &str, node: &str, token: u64, now_ms: u64) -> Command {
    let metric = Metric {
        name: Some(REBIRTH_METRIC.to_owned()),
        timestamp: Some(now_ms),
        datatype: Some(11),
        value: Some(MetricValue::BooleanValue(true)),
        ..Default::default()
    };
    let payload = Payload { timestamp: Some(now_ms), metrics: vec![metric], ..Default::default() };
    Command::Publish {
        token,
        publish: OutgoingPublish {
            topic: format!("{}/{group}/NCMD/{node}", crate::payload::sparkplug::NAMESPACE),
            payload: Bytes::from(payload.encode_to_vec()),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: Properties::default(),
        },
    }
}

impl super::App {
    /// The selected row, kept within the rows.
    pub fn sparkplug_selected(&self) -> Option<Row> {
        let rows = rows(&self.sparkplug);
        let i = self.sparkplug_view.selected.min(rows.len().saturating_sub(1));
        rows.into_iter().nth(i)
    }

    pub(super) fn sparkplug_key(&mut self, key: super::Key) {
        use crossterm::event::KeyCode;
        if let Some((group, node)) = self.sparkplug_view.confirm.clone() {
            match key.code {
                KeyCode::Enter | KeyCode::Char('y') => {
                    self.next_token += 1;
                    let cmd = rebirth_command(&group, &node, self.next_token, self.now_ms);
                    self.effects.push(super::Effect::Send(cmd));
                    self.notify(format!("rebirth requested from {group}/{node}"));
                    self.sparkplug_view.confirm = None;
                }
                KeyCode::Esc | KeyCode::Char('n') => self.sparkplug_view.confirm = None,
                _ => {}
            }
            return;
        }
        let count = rows(&self.sparkplug).len();
        let sel = &mut self.sparkplug_view.selected;
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => *sel = sel.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *sel = (*sel + 1).min(count.saturating_sub(1)),
            KeyCode::Home | KeyCode::Char('g') => *sel = 0,
            KeyCode::End | KeyCode::Char('G') => *sel = count.saturating_sub(1),
            KeyCode::Char('b') => match self.sparkplug_selected() {
                Some(Row::Node(g, n) | Row::Device(g, n, _)) => self.sparkplug_view.confirm = Some((g, n)),
                _ => self.notify("select an edge node or device to ask for a rebirth".to_owned()),
            },
            KeyCode::Esc => self.view = super::View::Dashboard,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tests::key;
    use crate::app::{App, Config, Effect, View};
    use crossterm::event::KeyCode;
    use std::time::{Duration, UNIX_EPOCH};

    fn birth(seq: u64, names: &[(&str, u64)]) -> Vec<u8> {
        let metrics = names
            .iter()
            .map(|(n, a)| Metric {
                name: Some((*n).to_owned()),
                alias: Some(*a),
                datatype: Some(10),
                value: Some(MetricValue::DoubleValue(1.0)),
                ..Default::default()
            })
            .collect();
        Payload { seq: Some(seq), metrics, ..Default::default() }.encode_to_vec()
    }

    #[test]
    fn rows_list_groups_nodes_and_devices_and_b_requests_a_rebirth_after_a_yes() {
        let mut a = App::new(Config::default(), 0);
        let t = UNIX_EPOCH + Duration::from_secs(1);
        a.sparkplug.observe("spBv1.0/plant/NBIRTH/edge1", &birth(0, &[(REBIRTH_METRIC, 1)]), t);
        a.sparkplug.observe("spBv1.0/plant/DBIRTH/edge1/pump", &birth(1, &[("Temperature", 2)]), t);
        assert_eq!(
            rows(&a.sparkplug),
            vec![
                Row::Group("plant".into()),
                Row::Node("plant".into(), "edge1".into()),
                Row::Device("plant".into(), "edge1".into(), "pump".into()),
            ]
        );
        key(&mut a, KeyCode::Char('S'));
        assert_eq!(a.view, View::Sparkplug);
        key(&mut a, KeyCode::Char('j'));
        key(&mut a, KeyCode::Char('j'));
        assert_eq!(a.sparkplug_selected(), Some(Row::Device("plant".into(), "edge1".into(), "pump".into())));
        assert_eq!(a.sparkplug_selected().and_then(|r| endpoint(&a.sparkplug, &r)).map(|e| e.metrics.len()), Some(1));
        key(&mut a, KeyCode::Char('b'));
        assert_eq!(a.sparkplug_view.confirm, Some(("plant".into(), "edge1".into())));
        key(&mut a, KeyCode::Esc);
        assert!(a.sparkplug_view.confirm.is_none());
        assert!(!a.take_effects().iter().any(|e| matches!(e, Effect::Send(_))), "nothing sent without a yes");
        key(&mut a, KeyCode::Char('b'));
        key(&mut a, KeyCode::Char('y'));
        let sent: Vec<_> =
            a.take_effects().into_iter().filter_map(|e| if let Effect::Send(c) = e { Some(c) } else { None }).collect();
        let [Command::Publish { publish, .. }] = sent.as_slice() else { panic!("one publish: {sent:?}") };
        assert_eq!(publish.topic, "spBv1.0/plant/NCMD/edge1");
        let decoded = crate::payload::sparkplug::decode_json(&publish.payload, Default::default()).unwrap();
        assert_eq!(decoded["metrics"][0]["name"], REBIRTH_METRIC);
        assert_eq!(decoded["metrics"][0]["value"], true);
        assert_eq!(decoded["metrics"][0]["datatype"], "Boolean");
        key(&mut a, KeyCode::Esc);
        assert_eq!(a.view, View::Dashboard);
    }
}
