//! The idle closer: a thread that closes images nobody used for a while (memory and file
//! handles go back; the next access reopens them with the same inode numbers).

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::slots::SlotTable;

/// Starts the closer for `slots`; it ends when the table is dropped.
pub fn start(slots: &Arc<SlotTable>, idle_secs: u64) {
    let weak: Weak<SlotTable> = Arc::downgrade(slots);
    let tick = Duration::from_secs((idle_secs / 4).clamp(1, 30));
    let spawned = std::thread::Builder::new()
        .name("idle-closer".into())
        .spawn(move || loop {
            std::thread::sleep(tick);
            let Some(slots) = weak.upgrade() else { return };
            slots.close_idle(idle_secs);
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the idle closer ({e}); images stay open");
    }
}
