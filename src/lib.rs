//! mqscope: a terminal dashboard for watching and poking MQTT brokers.
//!
//! The library holds everything but process setup: the codec (pure), and the layers built on it.

/// When the process started, for start-up timing in the log ("first frame with data after …").
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

pub mod app;
pub mod bench;
pub mod cli;
pub mod codec;
pub mod compare;
pub mod config;
pub mod demo;
pub mod exit;
pub mod files;
pub mod headless;
pub mod input;
pub mod inspect;
pub mod manager;
pub mod payload;
pub mod process;
pub mod record;
pub mod sanitize;
pub mod session;
pub mod timefmt;
pub mod transport;
pub mod tui;
pub mod tui_add;
pub mod tui_setup;
pub mod ui;
