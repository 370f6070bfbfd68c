//! Applying ops: the live path (check, then apply) and a replay (apply in a loop) give the
//! same tree; an op that does not apply changes nothing.

use common::vfs::VfsError;

use super::{ApplyContext, Op};
use crate::format::dentry::ATTR_DIRECTORY;
use crate::inode::{Content, Inode, NodeKind};
use crate::tree::ImageTree;

fn root_only() -> ImageTree {
    let root = Inode::bare(NodeKind::Directory, ATTR_DIRECTORY, 2, 1);
    ImageTree {
        inodes: vec![Some(root)],
        security: Vec::new(),
        skipped_names: 0,
    }
}

fn ops() -> Vec<Op> {
    let n = |s: &str| s.as_bytes().to_vec();
    vec![
        Op::Mkdir {
            parent: 1,
            name: n("d"),
            ino: 2,
            perm: 0o755,
        },
        Op::Create {
            parent: 2,
            name: n("f"),
            ino: 3,
            perm: 0o644,
            staged: 7,
        },
        Op::Link {
            ino: 3,
            parent: 1,
            name: n("g"),
        },
        Op::Symlink {
            parent: 1,
            name: n("l"),
            ino: 4,
            target: n("d/f"),
        },
        Op::Rename {
            parent: 1,
            name: n("g"),
            new_parent: 2,
            new_name: n("h"),
            no_replace: false,
        },
        Op::SetAttr {
            ino: 3,
            perm: Some(0o600),
            uid: Some(5),
            gid: None,
            atime: None,
            mtime: Some(9),
        },
        Op::SetXattr {
            ino: 3,
            name: n("user.ads"),
            value: n("v"),
        },
        Op::Stage {
            ino: 3,
            staged: 8,
            empty: true,
        },
        Op::Remove {
            parent: 2,
            name: n("f"),
            dir: false,
        },
    ]
}

fn ctx(staged: &dyn Fn(u64) -> u64) -> ApplyContext<'_> {
    ApplyContext {
        uid: 1000,
        gid: 1000,
        now: 42,
        staged_size: staged,
    }
}

#[test]
fn live_and_replayed_trees_are_equal() {
    let size = |id: u64| id * 10;
    let mut live = root_only();
    for op in ops() {
        assert!(live.check(&op).expect("applies"), "{op:?}");
        let applied = live.apply(&op, &ctx(&size)).expect("applies");
        assert_eq!(
            applied.unlinked, None,
            "{op:?}: the file keeps its second name"
        );
    }
    let mut replayed = root_only();
    for op in ops() {
        replayed.apply(&op, &ctx(&size)).expect("applies");
    }
    assert_eq!(
        format!("{:?}", live.inodes),
        format!("{:?}", replayed.inodes)
    );
    let d = live.inode(2).expect("d");
    assert_eq!(d.children.len(), 1);
    assert_eq!(d.child(b"h"), Some(3));
    let f = live.inode(3).expect("f");
    assert_eq!((f.nlink, f.times[2]), (1, 9));
    assert_eq!(f.data, Content::Staged { id: 8, size: 80 });
    assert_eq!(f.extras().named_streams.len(), 1);
    assert_eq!(live.inode(4).map(|l| l.kind), Some(NodeKind::Symlink));
}

#[test]
fn ops_that_do_not_apply_change_nothing() {
    let size = |_| 0;
    let mut tree = root_only();
    for op in &ops()[..2] {
        tree.apply(op, &ctx(&size)).expect("applies");
    }
    let before = format!("{:?}", tree.inodes);
    let n = |s: &str| s.as_bytes().to_vec();
    let bad = [
        Op::Mkdir {
            parent: 1,
            name: n("d"),
            ino: 4,
            perm: 0,
        },
        Op::Mkdir {
            parent: 1,
            name: n("e"),
            ino: 9,
            perm: 0,
        },
        Op::Remove {
            parent: 1,
            name: n("d"),
            dir: true,
        },
        Op::Remove {
            parent: 1,
            name: n("zz"),
            dir: false,
        },
        Op::Rename {
            parent: 1,
            name: n("d"),
            new_parent: 2,
            new_name: n("x"),
            no_replace: false,
        },
        Op::Link {
            ino: 2,
            parent: 1,
            name: n("dd"),
        },
        Op::RemoveXattr {
            ino: 3,
            name: n("user.none"),
        },
        Op::Create {
            parent: 1,
            name: n("a/b"),
            ino: 4,
            perm: 0,
            staged: 1,
        },
    ];
    for op in &bad {
        assert!(
            tree.apply(op, &ctx(&size)).is_err(),
            "{op:?} must not apply"
        );
        assert_eq!(
            format!("{:?}", tree.inodes),
            before,
            "{op:?} changed the tree"
        );
    }
    let e = tree
        .apply(&bad[1], &ctx(&size))
        .expect_err("wrong inode number");
    assert!(matches!(e, VfsError::Corrupt(_)), "{e:?}");
    // Renaming onto another name of the same inode changes nothing and is not journaled.
    let link = Op::Link {
        ino: 3,
        parent: 1,
        name: n("g"),
    };
    tree.apply(&link, &ctx(&size)).expect("links");
    let same = Op::Rename {
        parent: 1,
        name: n("g"),
        new_parent: 2,
        new_name: n("f"),
        no_replace: false,
    };
    assert!(!tree.check(&same).expect("applies"));
}
