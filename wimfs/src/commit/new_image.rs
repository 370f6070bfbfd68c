//! Committing a tree as a new image appended to the WIM (DISM `/Unmount-Image /Commit /Append`,
//! wimlib's `unmount --commit --new-image`) instead of replacing the image it came from.
//!
//! Images are numbered by the order of the metadata entries in the blob table (not by where the
//! resources lie, nor by the XML; Microsoft's "Windows Imaging File Format (WIM)" and wimlib's
//! `blob_table.c` both read them so), the header's image count must equal the number of those
//! entries, and the XML data describes image N in the `IMAGE` element with `INDEX="N"`. So a new
//! image is one more metadata entry after the others, one more `IMAGE` element after the last
//! one, and the image count plus one; the original image's metadata resource, its blob table
//! entry and its `IMAGE` element stay byte for byte, and so does the boot index.
//!
//! The new `IMAGE` element (`xml_append.rs`) is a copy of the original's (so edition properties such as `WINDOWS`,
//! `FLAGS`, `DESCRIPTION`, `DISPLAYNAME` carry over) with a new `NAME`, its counts, and both
//! times set to now. wimlib leaves the new image unnamed (and drops `DESCRIPTION`); we name it
//! (so it can be selected by name) after the original: `"<name> (2)"`, or `(3)`, ... the first
//! one no image has (an original named `"<name> (N)"` counts from `<name>`). An unnamed original
//! gives an unnamed new image, as in wimlib. A name asked for must be unused (wimlib refuses a
//! duplicate name too; we compare case-insensitively, as Windows tools select images), not
//! empty, not a number (it would be taken for an index), and free of control characters.

use crate::error::{WimError, WimResult};
use crate::wim::WimFile;

/// Commit the tree as a new image appended to the WIM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewImage {
    /// Its name (None: derived from the original's, see the module docs).
    pub name: Option<String>,
}

fn parse(xml: &str) -> WimResult<roxmltree::Document<'_>> {
    roxmltree::Document::parse(xml).map_err(|e| WimError::invalid("XML data", 0, e.to_string()))
}

/// Every `IMAGE` element of the document: (INDEX, NAME text if any).
fn images(doc: &roxmltree::Document<'_>) -> Vec<(Option<u32>, Option<String>)> {
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name("IMAGE"))
        .map(|n| {
            let index = n.attribute("INDEX").and_then(|i| i.trim().parse().ok());
            let name = n
                .children()
                .find(|c| c.has_tag_name("NAME"))
                .map(|c| c.text().unwrap_or("").to_string());
            (index, name)
        })
        .collect()
}

/// `name` without the ` (N)` suffix a default name got, so a copy of a copy of "Pro" is named
/// "Pro (3)", not "Pro (2) (2)".
fn stem(name: &str) -> &str {
    name.strip_suffix(')')
        .and_then(|s| s.rsplit_once(" ("))
        .filter(|(stem, n)| {
            !stem.is_empty() && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
        })
        .map_or(name, |(stem, _)| stem)
}

fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// The name the new image made from image `from` gets: `requested`, checked, or the default.
/// None: unnamed (the original is).
pub(super) fn choose_name(
    xml: &str,
    from: u32,
    requested: Option<&str>,
) -> WimResult<Option<String>> {
    let doc = parse(xml)?;
    let all = images(&doc);
    let taken = |name: &str| {
        all.iter()
            .find(|(_, n)| n.as_deref().is_some_and(|n| same_name(n, name)))
            .map(|(i, _)| i.map_or_else(|| "?".to_string(), |i| i.to_string()))
    };
    if let Some(name) = requested {
        let refuse = |reason: String| {
            Err(WimError::ImageName {
                name: name.to_string(),
                reason,
            })
        };
        if name.trim().is_empty() {
            return refuse("an image name must not be empty".into());
        }
        if name.chars().all(|c| c.is_ascii_digit()) {
            return refuse("a number would be taken for an image index".into());
        }
        if name.chars().any(char::is_control) {
            return refuse("control characters cannot be stored in the XML data".into());
        }
        if let Some(index) = taken(name) {
            return refuse(format!(
                "image {index} already has this name; choose another with --image-name"
            ));
        }
        return Ok(Some(name.to_string()));
    }
    // An original the XML does not describe is unnamed.
    let original = all.iter().find(|(i, _)| *i == Some(from));
    let Some(base) = original
        .and_then(|o| o.1.as_deref())
        .filter(|n| !n.is_empty())
        .map(stem)
    else {
        return Ok(None);
    };
    // At most one candidate per image is taken, so this ends within images + 2 tries.
    (2..=all.len() + 2)
        .map(|k| format!("{base} ({k})"))
        .find(|n| taken(n).is_none())
        .map(Some)
        .ok_or_else(|| WimError::invalid("XML data", 0, "no free image name".to_string()))
}

/// Where a commit writes its tree: over image `index`, or (`new`) as image `index`, appended,
/// named `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// The 1-based index written.
    pub index: u32,
    /// True when appending a new image.
    pub new: bool,
    /// The new image's name (None: unnamed, or replacing).
    pub name: Option<String>,
}

/// Where a commit of image `image` of `wim` goes: over it, or with `new` after the last image
/// (checked before anything is written: the name, and that the header and the blob table agree
/// on the image count).
pub(super) fn target(wim: &WimFile, image: u32, new: Option<&NewImage>) -> WimResult<Target> {
    let Some(new) = new else {
        return Ok(Target {
            index: image,
            new: false,
            name: None,
        });
    };
    let count = wim.header().image_count;
    if count != wim.image_count() {
        return Err(WimError::invalid(
            "WIM header",
            44,
            format!(
                "image count {count}, but the blob table has {} metadata resource(s); \
                 refusing to append an image",
                wim.image_count()
            ),
        ));
    }
    let index = count
        .checked_add(1)
        .ok_or_else(|| WimError::invalid("WIM header", 44, "image count at its maximum"))?;
    Ok(Target {
        index,
        new: true,
        name: choose_name(wim.xml(), image, new.name.as_deref())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::xml_append::tests::XML;

    #[test]
    fn default_names_follow_the_original_and_skip_taken_ones() {
        assert_eq!(
            choose_name(XML, 1, None).expect("valid"),
            Some("Pro (3)".into())
        );
        assert_eq!(
            choose_name(XML, 2, None).expect("valid"),
            Some("Pro (3)".into())
        );
        assert_eq!(stem("Pro (12)"), "Pro");
        for kept in ["Pro", "Pro ()", "Pro (x)", " (2)", "Pro(2)"] {
            assert_eq!(stem(kept), kept);
        }
        assert_eq!(
            choose_name(XML, 3, None).expect("valid"),
            None,
            "unnamed stays unnamed"
        );
        assert_eq!(
            choose_name(XML, 4, None).expect("valid"),
            None,
            "not in the XML"
        );
    }

    #[test]
    fn taken_empty_and_numeric_names_are_refused() {
        for bad in ["Pro", "pro (2)", "", "  ", "12", "a\u{1}b"] {
            let err = choose_name(XML, 1, Some(bad)).expect_err(bad);
            assert!(matches!(err, WimError::ImageName { .. }), "{bad:?}: {err}");
        }
        assert!(err_text(choose_name(XML, 1, Some("PRO"))).contains("image 1 already"));
        assert_eq!(
            choose_name(XML, 1, Some("Pro serviced")).expect("valid"),
            Some("Pro serviced".into())
        );
    }

    fn err_text<T: std::fmt::Debug>(r: WimResult<T>) -> String {
        r.expect_err("an error").to_string()
    }
}
