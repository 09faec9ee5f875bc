//! A retained snapshot: a second, short session that subscribes to the dashboard's filters, collects
//! the retained messages the broker sends for a new subscription, and leaves. It answers "which topics
//! hold a retained message now", which the live subscription cannot on MQTT 3.1.1 (live messages arrive
//! with the retain flag off) and which MQTT 5 Retain As Published answers only for messages published
//! while connected.

use super::{Command, SessionEvent, SubscribeOutcome, TaskOptions};
use crate::codec::{QoS, RetainHandling, Subscription, SubscriptionOptions};
use std::time::Duration;
use tokio::time::{Instant, sleep_until};

/// After the SUBACK, the snapshot ends after this long without a retained message.
pub const QUIET: Duration = Duration::from_millis(1500);
/// The snapshot gives up after this long in all.
pub const LIMIT: Duration = Duration::from_secs(60);

/// Connects with `opts` (the dashboard's, under another client id, clean, without a will), subscribes
/// to `filters` and returns the sorted topics that hold a non-empty retained message.
pub async fn retained_topics(mut opts: TaskOptions, filters: Vec<String>) -> Result<Vec<String>, String> {
    // Another client id: the same one would take the dashboard's own connection over.
    opts.session.client_id = format!("{}-snapshot", opts.session.client_id);
    opts.session.clean_start = true;
    opts.session.session_expiry = None;
    opts.session.will = None;
    opts.reconnect.enabled = false;
    opts.debug = false;
    let options = SubscriptionOptions {
        qos: QoS::AtMostOnce,
        no_local: false,
        retain_as_published: false,
        retain_handling: RetainHandling::SendAtSubscribe,
    };
    opts.session.subscriptions = filters.iter().map(|f| Subscription { filter: f.as_str().into(), options }).collect();
    let mut handle = super::spawn(opts);
    let result = collect(&mut handle).await;
    let _ = handle.commands.send(Command::Disconnect).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), async { while handle.events.recv().await.is_some() {} }).await;
    handle.task.abort();
    result
}

async fn collect(handle: &mut super::SessionHandle) -> Result<Vec<String>, String> {
    let give_up = Instant::now() + LIMIT;
    let mut quiet_until: Option<Instant> = None;
    let mut topics = std::collections::BTreeSet::new();
    loop {
        tokio::select! {
            ev = handle.events.recv() => match ev {
                None => return Err("the snapshot session ended".into()),
                Some(SessionEvent::Messages(batch)) => {
                    for m in batch {
                        // Retained ones come first; the first live message ends the snapshot.
                        if !m.retain {
                            return Ok(topics.into_iter().collect());
                        }
                        if m.payload.is_empty() {
                            topics.remove(&*m.topic);
                        } else {
                            topics.insert(m.topic.to_string());
                        }
                    }
                    if quiet_until.is_some() {
                        quiet_until = Some(Instant::now() + QUIET);
                    }
                }
                Some(SessionEvent::Subscribed { results, .. }) => {
                    if let Some((filter, outcome)) =
                        results.iter().find(|(_, o)| !matches!(o, SubscribeOutcome::Granted(_)))
                    {
                        return Err(format!("the broker refused '{}': {outcome:?}", crate::sanitize::line(filter)));
                    }
                    quiet_until = Some(Instant::now() + QUIET);
                }
                Some(SessionEvent::Disconnected { reason, .. }) => return Err(reason),
                Some(_) => {}
            },
            _ = sleep_until(quiet_until.unwrap_or(give_up)) => {
                return match quiet_until {
                    Some(_) => Ok(topics.into_iter().collect()),
                    None => Err(format!("no answer to the subscription within {} s", LIMIT.as_secs())),
                };
            }
        }
    }
}
