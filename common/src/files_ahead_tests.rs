//! Tests of [`FilesAhead`]: which reads start, continue and break a stream.

use super::*;

#[test]
fn a_first_read_hands_over_nothing() {
    let ahead = FilesAhead::new();
    assert_eq!(ahead.began(7, 0), None);
    assert_eq!(ahead.began(8, 5), None);
}

#[test]
fn reads_in_listing_order_hand_over_doubling_windows() {
    let ahead = FilesAhead::new();
    assert_eq!(ahead.began(7, 0), None);
    // The second file in order confirms the stream.
    assert_eq!(ahead.began(7, 1), Some(2..2 + FIRST_WINDOW));
    // The reader got past everything handed over: the next window is twice as large.
    let next = 2 + FIRST_WINDOW;
    assert_eq!(
        ahead.began(7, next),
        Some(next + 1..next + 1 + 2 * FIRST_WINDOW)
    );
}

#[test]
fn a_reader_overtaking_the_hand_over_extends_it_without_repeating() {
    let ahead = FilesAhead::new();
    ahead.began(7, 0);
    assert_eq!(ahead.began(7, 1), Some(2..6));
    // File 2 was still being handed over when the reader asked for it.
    assert_eq!(ahead.began(7, 2), Some(6..11));
}

#[test]
fn windows_stop_growing_at_the_maximum() {
    let ahead = FilesAhead::new();
    let mut at = 0;
    ahead.began(1, at);
    at += 1;
    let mut last = 0;
    for _ in 0..20 {
        let r = ahead.began(1, at).expect("a stream in order hands over");
        last = r.len();
        at = r.end;
    }
    assert_eq!(last, MAX_WINDOW);
}

#[test]
fn entries_that_are_not_files_may_lie_between() {
    let ahead = FilesAhead::new();
    ahead.began(3, 10);
    assert_eq!(
        ahead.began(3, 10 + SLACK),
        Some(10 + SLACK + 1..10 + SLACK + 5)
    );
}

#[test]
fn reads_out_of_order_start_over() {
    let ahead = FilesAhead::new();
    ahead.began(3, 10);
    assert_eq!(ahead.began(3, 9), None, "backwards");
    assert_eq!(ahead.began(3, 9 + SLACK + 2), None, "too far ahead");
    assert_eq!(ahead.began(3, 9 + SLACK + 2), None, "the same file again");
    // A stream starts again from the last read.
    assert!(ahead.began(3, 9 + SLACK + 3).is_some());
}

#[test]
fn streams_of_several_directories_are_kept_apart() {
    let ahead = FilesAhead::new();
    ahead.began(1, 0);
    ahead.began(2, 0);
    assert_eq!(ahead.began(1, 1), Some(2..6));
    assert_eq!(ahead.began(2, 1), Some(2..6));
}

#[test]
fn a_reader_walking_a_tree_is_followed_into_the_next_directory() {
    let ahead = FilesAhead::new();
    ahead.began(1, 0);
    assert_eq!(ahead.began(1, 1), Some(2..6));
    // The first file of a subdirectory: handed over from there at once.
    assert_eq!(ahead.began(2, 3), Some(4..4 + FIRST_WINDOW));
    assert_eq!(
        ahead.began(2, 4 + FIRST_WINDOW),
        Some(9..9 + 2 * FIRST_WINDOW)
    );
}

#[test]
fn a_reader_out_of_order_is_not_followed_into_other_directories() {
    let ahead = FilesAhead::new();
    ahead.began(1, 5);
    ahead.began(2, 3);
    ahead.began(1, 2);
    assert_eq!(ahead.began(3, 0), None);
}

#[test]
fn the_least_recently_read_directory_is_forgotten() {
    let ahead = FilesAhead::new();
    ahead.began(0, 0);
    for dir in 1..=STREAMS as u64 {
        ahead.began(dir, 0);
    }
    assert_eq!(ahead.began(0, 1), None, "directory 0's stream was dropped");
    assert!(ahead.began(STREAMS as u64, 1).is_some());
}

#[test]
fn a_hand_over_stopped_early_is_resumed_where_it_stopped() {
    let ahead = FilesAhead::new();
    ahead.began(5, 0);
    assert_eq!(ahead.began(5, 1), Some(2..6));
    ahead.stopped_at(5, 3);
    // The reader misses file 3, the first not handed over.
    assert_eq!(ahead.began(5, 3), Some(4..12));
}

#[test]
fn positions_near_the_top_of_the_range_do_not_overflow() {
    let ahead = FilesAhead::new();
    ahead.began(1, usize::MAX - 1);
    assert_eq!(ahead.began(1, usize::MAX), None);
}

#[test]
fn files_the_reader_got_to_first_are_passed() {
    let ahead = FilesAhead::new();
    ahead.began(5, 0);
    assert_eq!(ahead.began(5, 1), Some(2..6));
    assert!(!ahead.passed(5, 2));
    // The reader overtook the hand-over: file 3 reached the daemon.
    ahead.began(5, 3);
    assert!(ahead.passed(5, 2) && ahead.passed(5, 3));
    assert!(!ahead.passed(5, 4));
    assert!(ahead.passed(6, 4), "a directory without a stream");
}

#[test]
fn a_walking_reader_listing_a_directory_gets_its_first_files() {
    let ahead = FilesAhead::new();
    assert_eq!(ahead.listed(9), None, "nobody is reading");
    ahead.began(1, 0);
    assert_eq!(
        ahead.listed(9),
        None,
        "the reader has not followed a listing yet"
    );
    ahead.began(1, 1);
    assert_eq!(ahead.listed(9), Some(0..FIRST_WINDOW));
    assert_eq!(ahead.listed(9), None, "listed again: the stream exists");
    // Its first file reached the daemon anyway: the stream continues.
    assert_eq!(ahead.began(9, 0), Some(FIRST_WINDOW..1 + 2 * FIRST_WINDOW));
}
