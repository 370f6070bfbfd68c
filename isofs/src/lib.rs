//! ISO image support (see issue 5): not written yet.
