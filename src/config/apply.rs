//! Precedence: command-line flags > environment variables > the profile > built-in defaults. Clap
//! already merged flags and environment into the args; here the profile fills what is still unset.

use super::Profile;
use crate::cli::{ConnArgs, SubArgs, TuiArgs};
use crate::codec::QoS;

/// Fills unset connection options from the profile. Returns warnings to show.
pub fn conn(args: &mut ConnArgs, p: &Profile) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    fill(&mut args.url, &p.url);
    fill(&mut args.client_id, &p.client_id);
    fill(&mut args.username, &p.username);
    let password_given =
        args.password_env.is_some() || args.password_cmd.is_some() || args.ask_password || args.password.is_some();
    if !password_given {
        args.password_env.clone_from(&p.password_env);
        args.password_cmd.clone_from(&p.password_cmd);
        args.ask_password = p.password_prompt == Some(true);
        if args.password_env.is_none() && args.password_cmd.is_none() && !args.ask_password && p.password.is_some() {
            warnings.push(
                "the profile holds a plain password; prefer password_env, password_cmd or password_prompt".into(),
            );
            // Passed on as if typed, without the command-line warning about shell history.
            args.password_from_profile.clone_from(&p.password);
        }
    }
    if args.mqtt_version.is_none()
        && let Some(v) = &p.mqtt
    {
        args.mqtt_version = Some(v.parse()?);
    }
    fill_copy(&mut args.keepalive, p.keepalive);
    fill_copy(&mut args.session_expiry, p.session_expiry);
    if !args.clean && !args.no_clean && p.clean_start == Some(false) {
        args.no_clean = true;
    }
    if let Some(tls) = &p.tls {
        fill(&mut args.cafile, &tls.ca_file);
        if args.cert.is_none() && args.key.is_none() {
            args.cert.clone_from(&tls.cert);
            args.key.clone_from(&tls.key);
        }
        args.insecure |= tls.insecure;
        if args.alpn.is_empty() {
            args.alpn.clone_from(&tls.alpn);
        }
    }
    // Profile headers first; a flag with the same name replaces it later (the transport keeps the last).
    let mut headers: Vec<String> = p.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    headers.append(&mut args.headers);
    args.headers = headers;
    if args.will_topic.is_none()
        && let Some(w) = &p.will
    {
        args.will_topic = Some(w.topic.clone());
        args.will_payload = Some(w.payload.clone());
        args.will_qos = QoS::from_u8(w.qos).unwrap_or_default();
        args.will_retain = w.retain;
    }
    Ok(warnings)
}

/// `sub` without `-t` subscribes to the profile's filters, each at its QoS.
pub fn sub(args: &mut SubArgs, p: &Profile) {
    if args.topics.is_empty() {
        args.topic_qos = p.subscriptions.iter().map(|s| QoS::from_u8(s.qos).unwrap_or_default()).collect();
        args.topics = p.subscriptions.iter().map(|s| s.filter.clone()).collect();
    }
    args.schemas.extend(p.schemas.iter().map(|(f, file)| (f.clone(), file.into())));
    args.profile_protos = p.proto_specs();
}

/// `pub --encode protobuf` finds the topic's message type in the profile too.
pub fn publish(args: &mut crate::cli::PubArgs, p: &Profile) {
    args.profile_protos = p.proto_specs();
}

/// Fills unset dashboard options from the profile (subscriptions, exclusions, limits, theme, view).
pub fn tui(args: &mut TuiArgs, p: &Profile) -> Result<Vec<String>, String> {
    let warnings = conn(&mut args.conn, p)?;
    if args.topics.is_empty() {
        args.topic_qos = p.subscriptions.iter().map(|s| QoS::from_u8(s.qos).unwrap_or_default()).collect();
        args.topics = p.subscriptions.iter().map(|s| s.filter.clone()).collect();
    }
    args.exclude.extend(p.exclude.iter().cloned());
    args.schemas.extend(p.schemas.iter().map(|(f, file)| (f.clone(), file.into())));
    args.hide_cleared |= p.hide_cleared.unwrap_or(false);
    fill_copy(&mut args.history, p.history);
    fill_copy(&mut args.memory, p.memory_mib);
    fill_copy(&mut args.fps, p.fps);
    if args.theme.is_none()
        && let Some(t) = &p.theme
    {
        args.theme = Some(crate::app::ThemeName::parse(t)?);
    }
    if !args.watch && p.start_view() == crate::app::View::Watch {
        args.watch = true;
    }
    Ok(warnings)
}

fn fill<T: Clone>(slot: &mut Option<T>, from: &Option<T>) {
    if slot.is_none() {
        slot.clone_from(from);
    }
}

fn fill_copy<T: Copy>(slot: &mut Option<T>, from: Option<T>) {
    if slot.is_none() {
        *slot = from;
    }
}
