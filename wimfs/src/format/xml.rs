//! The XML data resource: UTF-16LE text (with a byte-order mark) describing the WIM and each
//! image (`<WIM><TOTALBYTES/><IMAGE INDEX="1"><NAME/><DIRCOUNT/>...</IMAGE></WIM>`; WIM paper
//! section 2.6).

use super::bytes::utf16le_string;
use crate::error::{WimError, WimResult};

/// What the XML says about one image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// The INDEX attribute.
    pub index: u32,
    /// NAME, if any.
    pub name: Option<String>,
    /// DESCRIPTION, if any.
    pub description: Option<String>,
    /// DIRCOUNT.
    pub dir_count: Option<u64>,
    /// FILECOUNT.
    pub file_count: Option<u64>,
    /// TOTALBYTES.
    pub total_bytes: Option<u64>,
    /// Every leaf element as (slash-separated path below IMAGE, text), in document order.
    pub properties: Vec<(String, String)>,
}

/// Decodes the XML resource bytes into text.
pub fn xml_text(bytes: &[u8]) -> String {
    let body = bytes.strip_prefix(&[0xFF, 0xFE]).unwrap_or(bytes);
    let text = utf16le_string(body);
    text.trim_end_matches('\0').to_string()
}

fn collect_leaves(
    node: roxmltree::Node<'_, '_>,
    prefix: &str,
    out: &mut Vec<(String, String)>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    for child in node.children().filter(roxmltree::Node::is_element) {
        let path = if prefix.is_empty() {
            child.tag_name().name().to_string()
        } else {
            format!("{prefix}/{}", child.tag_name().name())
        };
        if child.children().any(|c| c.is_element()) {
            collect_leaves(child, &path, out, depth + 1);
        } else {
            out.push((path, child.text().unwrap_or("").trim().to_string()));
        }
    }
}

fn number(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// Parses the image descriptions. `offset` is the resource's place in the WIM, for errors.
pub fn parse_images(text: &str, offset: u64) -> WimResult<Vec<ImageInfo>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| WimError::invalid("XML data", offset, e.to_string()))?;
    let mut images = Vec::new();
    for node in doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("IMAGE"))
    {
        let mut info = ImageInfo {
            index: node
                .attribute("INDEX")
                .and_then(|i| i.parse().ok())
                .unwrap_or(0),
            ..ImageInfo::default()
        };
        collect_leaves(node, "", &mut info.properties, 0);
        for (path, value) in &info.properties {
            match path.as_str() {
                "NAME" => info.name = Some(value.clone()),
                "DESCRIPTION" => info.description = Some(value.clone()),
                "DIRCOUNT" => info.dir_count = number(value),
                "FILECOUNT" => info.file_count = number(value),
                "TOTALBYTES" => info.total_bytes = number(value),
                _ => {}
            }
        }
        images.push(info);
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utf16_image_descriptions() {
        let xml = "<WIM><TOTALBYTES>9</TOTALBYTES><IMAGE INDEX=\"1\"><DIRCOUNT>2</DIRCOUNT>\
                   <FILECOUNT>3</FILECOUNT><TOTALBYTES>100</TOTALBYTES><NAME>Win é</NAME>\
                   <WINDOWS><VERSION><BUILD>22631</BUILD></VERSION></WINDOWS></IMAGE></WIM>";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
        let images = parse_images(&xml_text(&bytes), 0).expect("valid");
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].name.as_deref(), Some("Win é"));
        assert_eq!(images[0].file_count, Some(3));
        assert!(images[0]
            .properties
            .contains(&("WINDOWS/VERSION/BUILD".into(), "22631".into())));
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(parse_images("<WIM><IMAGE>", 72).is_err());
        assert!(parse_images("", 0).expect("empty ok").is_empty());
    }
}
