//! IEEE P1282 (RRIP) 4.1.4 "NM" alternate names and 4.1.3 "SL" symbolic links. Both may be
//! split over several entries (the CONTINUE flag); SL targets are built from components, each
//! "." / ".." / root / plain text, where a component's CONTINUE flag glues it to the next
//! without a slash.

/// NM/SL component flags.
pub mod flag {
    /// Continues in the next entry / component.
    pub const CONTINUE: u8 = 0x01;
    /// Refers to the current directory.
    pub const CURRENT: u8 = 0x02;
    /// Refers to the parent directory.
    pub const PARENT: u8 = 0x04;
    /// The root directory (SL only).
    pub const ROOT: u8 = 0x08;
}

/// Accumulates the content of successive "NM" entries.
#[derive(Debug, Default, Clone)]
pub struct NameBuilder {
    name: Vec<u8>,
    special: bool,
    seen: bool,
}

impl NameBuilder {
    /// Adds one "NM" entry (whole entry, header included).
    pub fn push(&mut self, raw: &[u8]) {
        let Some(&flags) = raw.get(4) else { return };
        self.seen = true;
        if flags & (flag::CURRENT | flag::PARENT) != 0 {
            self.special = true;
        }
        self.name
            .extend_from_slice(raw.get(5..).unwrap_or_default());
    }

    /// The name, or `None` if there was no NM entry or it named "." / "..".
    pub fn finish(self) -> Option<Vec<u8>> {
        (self.seen && !self.special).then_some(self.name)
    }
}

/// Accumulates the components of successive "SL" entries into a POSIX path.
#[derive(Debug, Default, Clone)]
pub struct LinkBuilder {
    target: Vec<u8>,
    need_sep: bool,
    seen: bool,
}

impl LinkBuilder {
    /// Adds one "SL" entry (whole entry, header included).
    pub fn push(&mut self, raw: &[u8]) {
        self.seen = true;
        let mut comps = raw.get(5..).unwrap_or_default();
        while comps.len() >= 2 {
            let flags = comps[0];
            let len = usize::from(comps[1]);
            let Some(content) = comps.get(2..2 + len) else {
                break;
            };
            comps = &comps[2 + len..];
            if flags & flag::ROOT != 0 {
                self.target.clear();
                self.target.push(b'/');
                self.need_sep = false;
                continue;
            }
            if self.need_sep {
                self.target.push(b'/');
            }
            if flags & flag::CURRENT != 0 {
                self.target.push(b'.');
            } else if flags & flag::PARENT != 0 {
                self.target.extend_from_slice(b"..");
            } else {
                self.target.extend_from_slice(content);
            }
            self.need_sep = flags & flag::CONTINUE == 0;
        }
    }

    /// The target, if any "SL" entry was seen.
    pub fn finish(self) -> Option<Vec<u8>> {
        self.seen.then_some(self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(flags: u8, comps: &[(u8, &[u8])]) -> Vec<u8> {
        let mut e = vec![b'S', b'L', 0, 1, flags];
        for (f, c) in comps {
            e.push(*f);
            e.push(c.len() as u8);
            e.extend_from_slice(c);
        }
        e[2] = e.len() as u8;
        e
    }

    #[test]
    fn symlink_components() {
        let mut b = LinkBuilder::default();
        b.push(&sl(0, &[(flag::ROOT, b""), (0, b"usr"), (0, b"lib")]));
        assert_eq!(b.finish().expect("seen"), b"/usr/lib");
        let mut b = LinkBuilder::default();
        b.push(&sl(1, &[(flag::PARENT, b""), (flag::CONTINUE, b"lo")]));
        b.push(&sl(0, &[(0, b"ng"), (flag::CURRENT, b"")]));
        assert_eq!(b.finish().expect("seen"), b"../long/.");
        assert!(LinkBuilder::default().finish().is_none());
    }

    #[test]
    fn names_concatenate() {
        let mut n = NameBuilder::default();
        n.push(b"NM\x08\x01\x01abc");
        n.push(b"NM\x07\x01\x00de");
        assert_eq!(n.finish().expect("seen"), b"abcde");
        let mut n = NameBuilder::default();
        n.push(b"NM\x05\x01\x02");
        assert!(n.finish().is_none());
    }
}
