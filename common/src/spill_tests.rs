//! Tests of the spill file.

use super::*;
use crate::chunk_key::SourceId;
use crate::spill_map::EXTENT_ALIGN;

fn dir() -> PathBuf {
    std::env::temp_dir().join(format!("spill-test-{}", std::process::id()))
}

fn key(source: SourceId, chunk: u64) -> ChunkKey {
    ChunkKey {
        source,
        resource: 0,
        chunk,
    }
}

#[test]
fn stores_reads_and_evicts_within_budget() {
    let spill = SpillFile::create_in(&dir(), 3 * EXTENT_ALIGN).expect("spill");
    let s = SourceId::fresh();
    for i in 0..5u8 {
        spill
            .store(key(s, u64::from(i)), &[i; 1000])
            .expect("store");
    }
    assert!(spill.stats().2 <= 3 * EXTENT_ALIGN);
    let mut buf = [0u8; 10];
    assert_eq!(spill.read(&key(s, 0), 0, &mut buf).expect("read"), None);
    assert_eq!(
        spill.read(&key(s, 4), 995, &mut buf).expect("read"),
        Some(5)
    );
    assert_eq!(&buf[..5], &[4; 5]);
    assert_eq!(spill.read(&key(s, 4), 1000, &mut buf).expect("read"), None);
}

#[test]
fn fills_decode_once_and_sources_stay_apart() {
    let spill = SpillFile::create_in(&dir(), 1 << 20).expect("spill");
    let (a, b) = (SourceId::fresh(), SourceId::fresh());
    let mut calls = 0;
    let mut buf = [0u8; 4];
    for _ in 0..3 {
        let n = spill
            .read_or_fill(
                key(a, 7),
                2,
                &mut buf,
                ChunkFill {
                    len: 6,
                    permit: |_| Ok(()),
                    resident: 0,
                    decode: |t: &mut SpillTarget<'_>| {
                        calls += 1;
                        t.copy_in(|at, piece| {
                            piece.copy_from_slice(&[1, 2, 3, 4, 5, 6][at as usize..]);
                            Ok(())
                        })
                    },
                },
                |e| e,
            )
            .expect("fill");
        assert_eq!(&buf[..n], &[3, 4, 5, 6]);
    }
    assert_eq!(calls, 1);
    let n = spill
        .read_or_fill(
            key(b, 7),
            0,
            &mut buf,
            ChunkFill {
                len: 4,
                permit: |_| Ok(()),
                resident: 0,
                decode: |t: &mut SpillTarget<'_>| {
                    t.copy_in(|_, piece| {
                        piece.fill(9);
                        Ok(())
                    })
                },
            },
            |e| e,
        )
        .expect("fill");
    assert_eq!(&buf[..n], &[9; 4]);
}

#[test]
fn a_read_racing_with_eviction_and_reuse_is_detected() {
    let spill = SpillFile::create_in(&dir(), EXTENT_ALIGN).expect("spill");
    let s = SourceId::fresh();
    spill.store(key(s, 1), &[1; 1000]).expect("store");
    let ext = spill.lookup(&key(s, 1)).expect("stored");
    // Another thread evicts chunk 1 and reuses its space before this reader's pread.
    spill.store(key(s, 2), &[2; 1000]).expect("store");
    let mut buf = [0u8; 10];
    spill.read_extent(ext, 0, &mut buf).expect("read");
    assert_eq!(buf, [2; 10], "the extent was reused");
    assert!(!spill.still_holds(&key(s, 1), ext));
    // Stored again at the same place: a new store number, so a read begun before does
    // not trust bytes that may be torn between the two stores.
    spill.store(key(s, 1), &[1; 1000]).expect("store");
    assert!(!spill.still_holds(&key(s, 1), ext));
    assert_eq!(spill.read(&key(s, 1), 0, &mut buf).expect("read"), Some(10));
    assert_eq!(buf, [1; 10]);
}

#[test]
fn concurrent_readers_and_evictions_never_mix_chunks() {
    const LEN: usize = 256 * 1024;
    let spill = Arc::new(SpillFile::create_in(&dir(), 4 * LEN as u64).expect("spill"));
    let s = SourceId::fresh();
    std::thread::scope(|scope| {
        for t in 0..8u64 {
            let spill = Arc::clone(&spill);
            scope.spawn(move || {
                let mut buf = vec![0u8; LEN];
                for round in 0..400u64 {
                    let chunk = (round * 7 + t * 13) % 16;
                    let fill = (chunk + 1) as u8;
                    let n = spill
                        .read_or_fill(
                            key(s, chunk),
                            0,
                            &mut buf,
                            ChunkFill {
                                len: LEN as u64,
                                permit: |_| Ok(()),
                                resident: 0,
                                decode: |t: &mut SpillTarget<'_>| {
                                    t.copy_in(|_, piece| {
                                        piece.fill(fill);
                                        Ok(())
                                    })
                                },
                            },
                            |e| e,
                        )
                        .expect("fill");
                    assert!(buf[..n].iter().all(|&b| b == fill), "chunk {chunk} mixed");
                }
            });
        }
    });
    assert!(spill.stats().2 <= 4 * LEN as u64);
}

#[test]
fn a_failed_decode_gives_its_space_back_and_a_retry_succeeds() {
    let spill = SpillFile::create_in(&dir(), 1 << 20).expect("spill");
    let s = SourceId::fresh();
    let mut buf = [0u8; 4];
    let failed = spill.read_or_fill(
        key(s, 1),
        0,
        &mut buf,
        ChunkFill {
            len: 100_000,
            permit: |_| Ok(()),
            resident: 0,
            decode: |_: &mut SpillTarget<'_>| Err(io::Error::other("bad chunk")),
        },
        |e| e,
    );
    assert!(failed.is_err());
    assert_eq!(spill.stats().2, 0, "the failed chunk's space is given back");
    let n = spill
        .read_or_fill(
            key(s, 1),
            99_998,
            &mut buf,
            ChunkFill {
                len: 100_000,
                permit: |_| Ok(()),
                resident: 0,
                decode: |t: &mut SpillTarget<'_>| {
                    t.copy_in(|_, piece| {
                        piece.fill(3);
                        Ok(())
                    })
                },
            },
            |e| e,
        )
        .expect("fill");
    assert_eq!(&buf[..n], &[3, 3]);
    assert_eq!(spill.read(&key(s, 1), 0, &mut buf).expect("read"), Some(4));
}

/// A fill that fails (no decode budget) while another thread waits for the same chunk leaves
/// that thread to decode it, and a third miss meanwhile waits for that decode instead of
/// starting its own.
#[test]
fn a_failed_fill_leaves_one_decode_of_its_chunk() {
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    let spill = Arc::new(SpillFile::create_in(&dir(), 1 << 20).expect("spill"));
    let k = key(SourceId::fresh(), 7);
    let decodes = Arc::new(AtomicUsize::new(0));
    let miss = |spill: Arc<SpillFile>, decodes: Arc<AtomicUsize>, permit_ok: bool, hold: u64| {
        std::thread::spawn(move || {
            let mut buf = [0u8; 2];
            spill.read_or_fill(
                k,
                0,
                &mut buf,
                ChunkFill {
                    len: 100_000,
                    permit: |_| {
                        std::thread::sleep(Duration::from_millis(hold));
                        if permit_ok {
                            Ok(())
                        } else {
                            Err(io::Error::other("no decode budget"))
                        }
                    },
                    resident: 0,
                    decode: |t: &mut SpillTarget<'_>| {
                        decodes.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(hold));
                        t.copy_in(|_, piece| {
                            piece.fill(9);
                            Ok(())
                        })
                    },
                },
                |e| e,
            )
        })
    };
    // The first fill holds the slot for a while, then finds no budget.
    let failing = miss(Arc::clone(&spill), Arc::clone(&decodes), false, 300);
    std::thread::sleep(Duration::from_millis(50));
    // This one waits for the slot, then decodes (slowly).
    let decoding = miss(Arc::clone(&spill), Arc::clone(&decodes), true, 300);
    assert!(failing.join().expect("join").is_err());
    std::thread::sleep(Duration::from_millis(100));
    // A miss while that decode runs.
    let (done_tx, done_rx) = channel();
    let late = {
        let h = miss(Arc::clone(&spill), Arc::clone(&decodes), true, 0);
        std::thread::spawn(move || {
            let r = h.join().expect("join");
            let _ = done_tx.send(());
            r
        })
    };
    assert_eq!(decoding.join().expect("join").expect("decoded"), 2);
    done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the late miss ends");
    assert_eq!(late.join().expect("join").expect("read"), 2);
    assert_eq!(
        decodes.load(Ordering::SeqCst),
        1,
        "the chunk was decoded twice"
    );
    assert!(!spill.has_or_fills(&k) || spill.contains(&k));
    assert!(
        spill.inflight.lock().is_empty(),
        "a fill slot was left behind"
    );
}

/// A chunk decoded from an input staged in the file, with progress reports releasing pages
/// as a decoder's would, reads back whole; the input's scratch space is given back and reused.
#[test]
fn a_chunk_decoded_from_a_staged_input_reads_back_and_its_scratch_is_reused() {
    const LEN: usize = 5 << 20;
    // Not a whole number of `fill_extent` pieces.
    const IN: usize = (3 << 20) + 1234;
    let spill = SpillFile::create_in(&dir(), 64 << 20).expect("spill");
    let s = SourceId::fresh();
    let byte = |i: usize| (i * 7 % 251) as u8;
    let fill_chunk = |chunk: u64| ChunkFill {
        len: LEN as u64,
        permit: |_| Ok(()),
        resident: 1 << 20,
        decode: move |t: &mut SpillTarget<'_>| {
            let mut input = t.stage_input(IN, |at, piece| {
                for (k, b) in piece.iter_mut().enumerate() {
                    *b = byte(at as usize + k);
                }
                Ok(())
            })?;
            t.decode(&mut input, |inp, out, progress| {
                // "Decoding": each output byte from the input (read from both ends, as LZMS
                // does) and from far back in the output, reporting every 256 KiB.
                for i in 0..out.len() {
                    let back = if i > (2 << 20) { out[i - (2 << 20)] } else { 0 };
                    out[i] = inp[i % IN] ^ inp[IN - 1 - i % IN] ^ back ^ chunk as u8;
                    if i % (256 << 10) == 0 {
                        let front = (i / 2).min(IN / 2);
                        progress(DecodeAt {
                            final_pass: false,
                            output: i,
                            input_unread: front..IN - front,
                        });
                    }
                }
                for i in (0..out.len()).step_by(256 << 10) {
                    progress(DecodeAt {
                        final_pass: true,
                        output: i,
                        input_unread: 0..0,
                    });
                }
            });
            Ok(())
        },
    };
    let mut want = vec![0u8; LEN];
    for i in 0..LEN {
        let back = if i > (2 << 20) {
            want[i - (2 << 20)]
        } else {
            0
        };
        want[i] = byte(i % IN) ^ byte(IN - 1 - i % IN) ^ back ^ 1;
    }
    let mut buf = vec![0u8; LEN];
    let n = spill
        .read_or_fill(key(s, 1), 0, &mut buf, fill_chunk(1), |e: io::Error| e)
        .expect("fill");
    assert_eq!(n, LEN);
    assert!(buf == want, "decoded bytes differ");
    let mut again = vec![0u8; LEN];
    assert_eq!(
        spill.read(&key(s, 1), 0, &mut again).expect("read"),
        Some(LEN)
    );
    assert!(again == want, "stored bytes differ");
    let end = spill.state.lock().end;
    assert_eq!(
        spill.stats().2,
        reserved_len(LEN as u64),
        "scratch is not budgeted"
    );
    spill
        .read_or_fill(key(s, 2), 0, &mut buf, fill_chunk(2), |e: io::Error| e)
        .expect("fill");
    // The second chunk's input reused the first one's scratch space.
    let grown = spill.state.lock().end - end;
    assert_eq!(grown, reserved_len(LEN as u64), "file grew by {grown}");
}

/// Chunks decoded into mappings of the file at the same time are counted as such, so that
/// they share the decode window ([`SpillTarget::decode`]), and their permits are told the
/// output is mapped; once done, a decode running alone has the whole window again.
#[cfg(target_os = "linux")]
#[test]
fn decodes_in_flight_share_the_window() {
    let spill = SpillFile::create_in(&dir(), 64 << 20).expect("spill");
    let s = SourceId::fresh();
    let both_in_flight = std::sync::Barrier::new(2);
    let both_checked = std::sync::Barrier::new(2);
    let fill = |chunk: u64| {
        let mut out = [0u8; 1];
        let fill = ChunkFill {
            len: 1 << 20,
            resident: 8 << 20,
            permit: |mapped: bool| {
                assert!(mapped, "the output is a mapping of the spill file");
                Ok(())
            },
            decode: |t: &mut SpillTarget<'_>| {
                assert!(t.is_mapped());
                both_in_flight.wait();
                let n = spill.mapped_decodes();
                both_checked.wait();
                assert_eq!(n, 2, "two decodes in flight");
                t.copy_in(|_, piece| {
                    piece.fill(chunk as u8);
                    Ok(())
                })
            },
        };
        spill.read_or_fill(key(s, chunk), 0, &mut out, fill, |e: io::Error| e)
    };
    std::thread::scope(|scope| {
        let a = scope.spawn(|| fill(1));
        let b = scope.spawn(|| fill(2));
        for t in [a, b] {
            assert_eq!(t.join().expect("thread").expect("fill"), 1);
        }
    });
    assert_eq!(spill.mapped_decodes(), 1, "none in flight: a decode alone");
    let mut buf = [0u8; 4];
    assert_eq!(
        spill.read(&key(s, 2), 100, &mut buf).expect("read"),
        Some(4)
    );
    assert_eq!(buf, [2; 4]);
}
