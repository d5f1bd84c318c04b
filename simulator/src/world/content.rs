//! WeCom's message types (会话内容存档 `msgtype`) and how each maps onto the contract's five kinds.
//!
//! WeCom's message archive (the "conversation content archive" SDK, `GetChatData` /
//! `DecryptData`, <https://developer.work.weixin.qq.com/document/path/91774>) gives every message
//! a `msgtype`: text, image, revoke, agree, disagree, voice, video, card, location, emotion,
//! file, link, weapp, chatrecord, todo, vote, collect, redpacket, meeting, docmsg, markdown,
//! news, calendar, mixed, meeting_voice_call, voip_doc_share, external_redpacket, sphfeed and
//! voiptext (audio and video calls). The vendor archive keeps that name in
//! `X-TELEMESSAGE-ContentType`; `ItemRef.kind` keeps the contract's five words
//! ([`ContentType::kind`]).

use crate::world::scenario::Kind;

macro_rules! content_types {
    ($($variant:ident = $name:literal => $kind:ident, $doc:literal;)*) => {
        /// A WeCom message type.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ContentType {
            $(#[doc = $doc] $variant,)*
        }

        impl ContentType {
            /// Every type, in the order of docs/contract.md's table.
            pub const ALL: &'static [ContentType] = &[$(ContentType::$variant),*];

            /// WeCom's `msgtype`, the value of `X-TELEMESSAGE-ContentType`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ContentType::$variant => $name,)*
                }
            }

            /// The contract's kind of an item of this type (`ItemRef.kind`).
            pub fn kind(self) -> Kind {
                match self {
                    $(ContentType::$variant => Kind::$kind,)*
                }
            }
        }
    };
}

content_types! {
    Text = "text" => Chat, "A text message.";
    Link = "link" => Chat, "A shared link: title, description, url.";
    Location = "location" => Chat, "A location: name, address, coordinates.";
    Card = "card" => Chat, "A contact card (`text/vcard`) of someone who need not take part.";
    Weapp = "weapp" => Chat, "A mini-program: title, its name, its app id.";
    Chatrecord = "chatrecord" => Chat, "A forwarded chat record: other people's messages, each a nested `message/rfc822`.";
    Todo = "todo" => Chat, "A to-do.";
    Vote = "vote" => Chat, "A vote and its options.";
    Collect = "collect" => Chat, "A form (填表) and its questions.";
    Redpacket = "redpacket" => Chat, "A red packet: wish, amount, count.";
    ExternalRedpacket = "external_redpacket" => Chat, "A red packet exchanged with an external contact.";
    Meeting = "meeting" => Chat, "A meeting invitation (`text/calendar`).";
    Calendar = "calendar" => Chat, "A calendar event (`text/calendar`).";
    Docmsg = "docmsg" => Chat, "An online document shared.";
    Markdown = "markdown" => Chat, "A markdown message (bots).";
    News = "news" => Chat, "A bot's news article: title, description, url, picture.";
    Sphfeed = "sphfeed" => Chat, "A video-channel (视频号) post shared.";
    Agree = "agree" => Chat, "An external contact agrees to the conversation being archived.";
    Disagree = "disagree" => Chat, "An external contact refuses the conversation being archived.";
    Image = "image" => Attachment, "An image (jpg).";
    Voice = "voice" => Attachment, "A voice note (amr).";
    Video = "video" => Attachment, "A video (mp4).";
    Emotion = "emotion" => Attachment, "A sticker (gif).";
    Mixed = "mixed" => Attachment, "A mixed message: several texts and an image.";
    File = "file" => File, "A file.";
    VoipDocShare = "voip_doc_share" => File, "A document shared during a call.";
    Voiptext = "voiptext" => Call, "A voice or video call.";
    MeetingVoiceCall = "meeting_voice_call" => Call, "A meeting's voice call.";
    Revoke = "revoke" => Recall, "The recall of an earlier message.";
}

impl ContentType {
    /// The type a name stands for, if any.
    pub fn parse(name: &str) -> Option<ContentType> {
        ContentType::ALL.iter().copied().find(|t| t.as_str() == name)
    }

    /// Every name, comma-separated (for errors).
    pub fn names() -> String {
        ContentType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The type of a scripted item that names none: text, the media's type by the attachment's
    /// extension, file, voiptext, revoke.
    pub fn default_for(kind: Kind, attachment: Option<&str>) -> ContentType {
        match kind {
            Kind::Chat => ContentType::Text,
            Kind::Attachment => match attachment.and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
                Some("gif") => ContentType::Emotion,
                Some("amr") => ContentType::Voice,
                Some("mp4") => ContentType::Video,
                _ => ContentType::Image,
            },
            Kind::File => ContentType::File,
            Kind::Call => ContentType::Voiptext,
            Kind::Recall => ContentType::Revoke,
        }
    }

    /// Whether the item names people who are not its participants: the quoted senders of a
    /// chat record, the contact of a card.
    pub fn quotes_people(self) -> bool {
        matches!(self, ContentType::Chatrecord | ContentType::Card)
    }

    /// Relative weight of the type among generated items of its kind (per mille of the kind):
    /// text dominates chats; links common; chat records, cards, locations, red packets
    /// occasional; consent events, forms and votes rare.
    pub fn weight(self) -> u32 {
        match self {
            ContentType::Text => 860,
            ContentType::Link => 45,
            ContentType::Location => 14,
            ContentType::Card => 12,
            ContentType::Chatrecord => 14,
            ContentType::Weapp => 8,
            ContentType::Redpacket => 8,
            ContentType::Docmsg => 8,
            ContentType::Markdown => 4,
            ContentType::News => 4,
            ContentType::Meeting => 4,
            ContentType::Calendar => 3,
            ContentType::Todo => 3,
            ContentType::Vote => 2,
            ContentType::Collect => 2,
            ContentType::Sphfeed => 3,
            ContentType::ExternalRedpacket => 2,
            ContentType::Agree => 3,
            ContentType::Disagree => 1,
            ContentType::Image => 480,
            ContentType::Voice => 240,
            ContentType::Video => 140,
            ContentType::Emotion => 110,
            ContentType::Mixed => 30,
            ContentType::File => 970,
            ContentType::VoipDocShare => 30,
            ContentType::Voiptext => 950,
            ContentType::MeetingVoiceCall => 50,
            ContentType::Revoke => 1,
        }
    }

    /// A type of `kind` drawn by [`weight`](ContentType::weight) from `x` in `[0, 1)`.
    pub fn draw(kind: Kind, x: f64) -> ContentType {
        let of_kind = || ContentType::ALL.iter().copied().filter(move |t| t.kind() == kind);
        let total: u32 = of_kind().map(ContentType::weight).sum();
        let mut at = x * total as f64;
        for t in of_kind() {
            if at < t.weight() as f64 {
                return t;
            }
            at -= t.weight() as f64;
        }
        of_kind().next_back().expect("every kind has a type")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        for t in ContentType::ALL {
            assert_eq!(ContentType::parse(t.as_str()), Some(*t));
        }
        let mut names: Vec<&str> = ContentType::ALL.iter().map(|t| t.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ContentType::ALL.len());
        assert_eq!(ContentType::parse("transfer"), None);
    }

    #[test]
    fn every_kind_has_types_and_its_default_is_of_it() {
        for kind in Kind::ALL {
            assert!(ContentType::ALL.iter().any(|t| t.kind() == kind));
            assert_eq!(ContentType::default_for(kind, None).kind(), kind);
        }
        assert_eq!(ContentType::default_for(Kind::Attachment, Some("a.GIF")), ContentType::Emotion);
    }

    quickcheck::quickcheck! {
        fn a_drawn_type_is_of_the_kind_drawn(x: f64, k: u8) -> bool {
            let x = if x.is_finite() { x.abs().fract() } else { 0.5 };
            let kind = Kind::ALL[k as usize % Kind::ALL.len()];
            ContentType::draw(kind, x).kind() == kind
        }
    }

    #[test]
    fn text_dominates_chats_and_images_attachments() {
        assert_eq!(ContentType::draw(Kind::Chat, 0.0), ContentType::Text);
        assert_eq!(ContentType::draw(Kind::Chat, 0.5), ContentType::Text);
        assert_eq!(ContentType::draw(Kind::Attachment, 0.2), ContentType::Image);
        assert_eq!(ContentType::draw(Kind::Chat, 0.999_999), ContentType::Disagree);
    }
}
