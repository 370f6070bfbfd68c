//! Updating an image's properties in the XML data: replaces the text of existing elements and
//! adds missing ones, leaving everything else byte for byte as it was; and sets the WIM-level
//! `<TOTALBYTES>`, which wimlib and WIMGAPI write as the file offset of the XML data itself (the
//! size of everything before it).

use crate::error::{WimError, WimResult};

/// Sets `path` (like `DIRCOUNT` or `LASTMODIFICATIONTIME/HIGHPART`) of image `index` to `value`
/// for each pair; returns the new text.
pub fn update_image(text: &str, index: u32, values: &[(&str, String)]) -> WimResult<String> {
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| WimError::invalid("XML data", 0, e.to_string()))?;
    let image = doc
        .root_element()
        .children()
        .find(|n| {
            n.has_tag_name("IMAGE") && n.attribute("INDEX") == Some(index.to_string().as_str())
        })
        .ok_or_else(|| {
            WimError::invalid("XML data", 0, format!("no IMAGE with INDEX=\"{index}\""))
        })?;
    // (start, end, replacement), applied back to front.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    // Missing elements, grouped by the deepest existing element they go into.
    let mut missing: Vec<(roxmltree::Node, Vec<MissingElement>)> = Vec::new();
    for (path, value) in values {
        let value = escape(value);
        let mut node = image;
        let parts: Vec<&str> = path.split('/').collect();
        let mut missing_from = None;
        for (depth, part) in parts.iter().enumerate() {
            match node.children().find(|c| c.has_tag_name(*part)) {
                Some(c) => node = c,
                None => {
                    missing_from = Some(depth);
                    break;
                }
            }
        }
        match missing_from {
            None => {
                let r = node.range();
                let tag = node.tag_name().name();
                edits.push((r.start, r.end, format!("<{tag}>{value}</{tag}>")));
            }
            Some(depth) => {
                let at = match missing.iter().position(|(n, _)| *n == node) {
                    Some(at) => at,
                    None => {
                        missing.push((node, Vec::new()));
                        missing.len() - 1
                    }
                };
                MissingElement::add(&mut missing[at].1, &parts[depth..], value);
            }
        }
    }
    for (node, children) in missing {
        let mut content = String::new();
        for child in &children {
            child.render(&mut content);
        }
        edits.push(insert_children(text, node, &content)?);
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, rep) in edits {
        out.replace_range(start..end, &rep);
    }
    Ok(out)
}

/// An element to add: a value, or (for the inner parts of a path) more elements.
struct MissingElement {
    name: String,
    value: Option<String>,
    children: Vec<MissingElement>,
}

impl MissingElement {
    /// Adds the element at `path` (relative to `list`'s parent), sharing the elements on the
    /// way with earlier paths, so `A/B` and `A/C` give one `A`.
    fn add(list: &mut Vec<MissingElement>, path: &[&str], value: String) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let at = match list.iter().position(|e| e.name == *first) {
            Some(at) => at,
            None => {
                list.push(MissingElement {
                    name: first.to_string(),
                    value: None,
                    children: Vec::new(),
                });
                list.len() - 1
            }
        };
        if rest.is_empty() {
            list[at].value = Some(value);
        } else {
            Self::add(&mut list[at].children, rest, value);
        }
    }

    fn render(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        out.push('>');
        match &self.value {
            Some(v) => out.push_str(v),
            None => self.children.iter().for_each(|c| c.render(out)),
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// The edit that adds `content` as the last children of `node`: inserted before its end tag,
/// or, for an empty-element tag (`<X/>`, `<X a="1" />`), the tag opened and closed around it.
fn insert_children(
    text: &str,
    node: roxmltree::Node,
    content: &str,
) -> WimResult<(usize, usize, String)> {
    let r = node.range();
    let name = node.tag_name().name();
    let end_tag = format!("</{name}>");
    let element = &text[r.clone()];
    if element.ends_with(&end_tag) {
        let at = r.end - end_tag.len();
        Ok((at, at, content.to_string()))
    } else if element.ends_with("/>") {
        Ok((r.end - 2, r.end, format!(">{content}{end_tag}")))
    } else {
        Err(WimError::invalid(
            "XML data",
            r.start as u64,
            format!("cannot find the end of <{name}> to add {content}"),
        ))
    }
}

/// Sets the `<TOTALBYTES>` that is a direct child of `<WIM>` to `xml_offset`: replaced where it
/// is, or added before `</WIM>` when the WIM has none (wimlib writes it there).
pub fn set_wim_total_bytes(text: &str, xml_offset: u64) -> WimResult<String> {
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| WimError::invalid("XML data", 0, e.to_string()))?;
    let root = doc.root_element();
    let element = format!("<TOTALBYTES>{xml_offset}</TOTALBYTES>");
    let (start, end, replacement) = match root.children().find(|c| c.has_tag_name("TOTALBYTES")) {
        Some(existing) => {
            let r = existing.range();
            (r.start, r.end, element)
        }
        None => insert_children(text, root, &element)?,
    };
    let mut out = text.to_string();
    out.replace_range(start..end, &replacement);
    Ok(out)
}

fn escape(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Encodes XML text the way a WIM stores it: UTF-16LE with a byte-order mark.
pub fn encode_utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_inserts() {
        let xml = "<WIM><IMAGE INDEX=\"1\"><NAME>a</NAME><DIRCOUNT>1</DIRCOUNT></IMAGE>\
                   <IMAGE INDEX=\"2\"><DIRCOUNT>7</DIRCOUNT></IMAGE></WIM>";
        let out = update_image(
            xml,
            1,
            &[
                ("DIRCOUNT", "5".into()),
                ("FILECOUNT", "9".into()),
                ("LASTMODIFICATIONTIME/HIGHPART", "0x1".into()),
            ],
        )
        .expect("valid");
        assert!(
            out.contains("<DIRCOUNT>5</DIRCOUNT><FILECOUNT>9</FILECOUNT>")
                || out.contains("<FILECOUNT>9</FILECOUNT>")
        );
        assert!(
            out.contains("<LASTMODIFICATIONTIME><HIGHPART>0x1</HIGHPART></LASTMODIFICATIONTIME>")
        );
        assert!(out.contains("<IMAGE INDEX=\"2\"><DIRCOUNT>7</DIRCOUNT></IMAGE>"));
        assert!(out.contains("<NAME>a</NAME>"));
        assert!(update_image(xml, 3, &[]).is_err());
    }

    #[test]
    fn wim_total_bytes_replaced_or_added_at_the_wim_level_only() {
        let first =
            "<WIM><TOTALBYTES>9</TOTALBYTES><IMAGE INDEX=\"1\"><TOTALBYTES>100</TOTALBYTES>\
                     </IMAGE></WIM>";
        let out = set_wim_total_bytes(first, 4242).expect("valid");
        assert_eq!(
            out,
            "<WIM><TOTALBYTES>4242</TOTALBYTES><IMAGE INDEX=\"1\"><TOTALBYTES>100</TOTALBYTES>\
             </IMAGE></WIM>"
        );
        let none = "<WIM><IMAGE INDEX=\"1\"><TOTALBYTES>100</TOTALBYTES></IMAGE></WIM>";
        let out = set_wim_total_bytes(none, 7).expect("valid");
        assert_eq!(
            out,
            "<WIM><IMAGE INDEX=\"1\"><TOTALBYTES>100</TOTALBYTES></IMAGE>\
             <TOTALBYTES>7</TOTALBYTES></WIM>"
        );
        assert_eq!(
            set_wim_total_bytes("<WIM />", 1).expect("valid"),
            "<WIM ><TOTALBYTES>1</TOTALBYTES></WIM>"
        );
    }

    #[test]
    fn missing_children_of_one_element_are_added_together() {
        let xml = "<WIM><IMAGE INDEX=\"1\"/><IMAGE INDEX=\"2\"><NAME>b</NAME></IMAGE></WIM>";
        let values = [
            ("DIRCOUNT", "5".to_string()),
            ("LASTMODIFICATIONTIME/HIGHPART", "0x1".to_string()),
            ("FILECOUNT", "9".to_string()),
            ("LASTMODIFICATIONTIME/LOWPART", "0x2".to_string()),
        ];
        let out = update_image(xml, 1, &values).expect("valid");
        assert_eq!(
            out,
            "<WIM><IMAGE INDEX=\"1\"><DIRCOUNT>5</DIRCOUNT><LASTMODIFICATIONTIME>\
             <HIGHPART>0x1</HIGHPART><LOWPART>0x2</LOWPART></LASTMODIFICATIONTIME>\
             <FILECOUNT>9</FILECOUNT></IMAGE><IMAGE INDEX=\"2\"><NAME>b</NAME></IMAGE></WIM>"
        );
        roxmltree::Document::parse(&out).expect("well-formed");
        let out = update_image(xml, 2, &values[..2]).expect("valid");
        assert_eq!(
            out,
            "<WIM><IMAGE INDEX=\"1\"/><IMAGE INDEX=\"2\"><NAME>b</NAME><DIRCOUNT>5</DIRCOUNT>\
             <LASTMODIFICATIONTIME><HIGHPART>0x1</HIGHPART></LASTMODIFICATIONTIME></IMAGE></WIM>"
        );
    }
}
