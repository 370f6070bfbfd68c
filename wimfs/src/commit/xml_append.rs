//! Appending an image's entry to the XML data: a copy of another image's `IMAGE` element with
//! a new `INDEX` (and the values given set), after the last `IMAGE` element, leaving the rest of
//! the text byte for byte (the XML data: wimlib's `xml.c` notes, and Microsoft's "Windows
//! Imaging File Format (WIM)": one `IMAGE` element per image, `INDEX` its 1-based number).

use super::xml::update_image;
use crate::error::{WimError, WimResult};

fn parse(xml: &str) -> WimResult<roxmltree::Document<'_>> {
    roxmltree::Document::parse(xml).map_err(|e| WimError::invalid("XML data", 0, e.to_string()))
}

/// Appends to `xml` a copy of image `from`'s `IMAGE` element (an empty one if the XML does not
/// describe image `from`) as image `index`, named `name` (None: the copy keeps the original's
/// NAME, if any), with `values` set as [`update_image`] sets them; everything else stays byte
/// for byte.
pub(super) fn append_image(
    xml: &str,
    from: u32,
    index: u32,
    name: Option<&str>,
    values: &[(&str, String)],
) -> WimResult<String> {
    let doc = parse(xml)?;
    let image_nodes: Vec<_> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("IMAGE"))
        .collect();
    let with_index = |i: u32| {
        image_nodes
            .iter()
            .find(|n| n.attribute("INDEX").and_then(|v| v.trim().parse().ok()) == Some(i))
    };
    if with_index(index).is_some() {
        return Err(WimError::invalid(
            "XML data",
            0,
            format!(
                "an IMAGE with INDEX=\"{index}\" exists already, but the WIM has {} image(s)",
                index - 1
            ),
        ));
    }
    // An original the XML does not describe gives an element with only what is set here.
    let original = with_index(from);
    let inner = match original.map(|o| (o.first_child(), o.last_child())) {
        Some((Some(first), Some(last))) => &xml[first.range().start..last.range().end],
        _ => "",
    };
    // Edit the copy on its own, inside a root of its own, through the same code as an update.
    let wrapped = format!("<WIM><IMAGE INDEX=\"{index}\">{inner}</IMAGE></WIM>");
    let mut all: Vec<(&str, String)> = Vec::with_capacity(values.len() + 1);
    if let Some(name) = name {
        all.push(("NAME", name.to_string()));
    }
    all.extend(values.iter().cloned());
    let edited = update_image(&wrapped, index, &all)?;
    let element = edited
        .strip_prefix("<WIM>")
        .and_then(|s| s.strip_suffix("</WIM>"))
        .ok_or_else(|| {
            WimError::invalid("XML data", 0, "the copied IMAGE element lost its root")
        })?;
    let root = doc.root_element();
    let root_end = format!("</{}>", root.tag_name().name());
    let last = match image_nodes.last() {
        Some(n) => n.range().end,
        None if xml[root.range()].ends_with(&root_end) => root.range().end - root_end.len(),
        None => {
            return Err(WimError::invalid(
                "XML data",
                0,
                "its root element has no end tag to add an IMAGE before",
            ))
        }
    };
    let mut out = String::with_capacity(xml.len() + element.len());
    out.push_str(&xml[..last]);
    out.push_str(element);
    out.push_str(&xml[last..]);
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A WIM's XML with three images (shared with `new_image`'s tests).
    pub(crate) const XML: &str =
        "<WIM><TOTALBYTES>9</TOTALBYTES><IMAGE INDEX=\"1\"><DIRCOUNT>1</DIRCOUNT>\
        <NAME>Pro</NAME><DESCRIPTION>d &amp; e</DESCRIPTION><WINDOWS><ARCH>9</ARCH></WINDOWS>\
        </IMAGE><IMAGE INDEX=\"2\"><NAME>Pro (2)</NAME></IMAGE><IMAGE INDEX=\"3\"/></WIM>";

    #[test]
    fn the_copy_is_appended_and_the_rest_is_unchanged() {
        let out =
            append_image(XML, 1, 4, Some("New <1>"), &[("DIRCOUNT", "5".into())]).expect("valid");
        let (head, tail) = out.split_at(XML.len() - "</WIM>".len());
        assert_eq!(
            head,
            &XML[..XML.len() - "</WIM>".len()],
            "the old text is a prefix"
        );
        assert_eq!(
            tail,
            "<IMAGE INDEX=\"4\"><DIRCOUNT>5</DIRCOUNT><NAME>New &lt;1&gt;</NAME>\
             <DESCRIPTION>d &amp; e</DESCRIPTION><WINDOWS><ARCH>9</ARCH></WINDOWS></IMAGE></WIM>"
        );
        let unnamed = append_image(XML, 3, 4, None, &[("FILECOUNT", "2".into())]).expect("valid");
        assert!(unnamed.ends_with("<IMAGE INDEX=\"4\"><FILECOUNT>2</FILECOUNT></IMAGE></WIM>"));
        assert!(
            append_image(XML, 1, 3, None, &[]).is_err(),
            "index 3 exists"
        );
        let bare = append_image(XML, 5, 4, Some("N"), &[]).expect("valid");
        assert!(
            bare.ends_with("<IMAGE INDEX=\"3\"/><IMAGE INDEX=\"4\"><NAME>N</NAME></IMAGE></WIM>")
        );
        let first = append_image("<WIM><X/></WIM>", 1, 2, None, &[]).expect("valid");
        assert_eq!(first, "<WIM><X/><IMAGE INDEX=\"2\"></IMAGE></WIM>");
        assert!(append_image("<WIM/>", 1, 2, None, &[]).is_err());
    }
}
