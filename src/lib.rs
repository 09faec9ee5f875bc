//! mqscope: a terminal dashboard for watching and poking MQTT brokers.
//!
//! The library holds everything but argument parsing: the codec (pure), and the layers built on it.

pub mod codec;
