//! A mailbox's language, as Exchange Online names its default folders in it.
//!
//! Exchange creates a mailbox's default folders with display names in the mailbox's language
//! (`Set-MailboxRegionalConfiguration -Language … -LocalizeDefaultFolderName`,
//! <https://learn.microsoft.com/powershell/module/exchange/set-mailboxregionalconfiguration>);
//! the well-known names (`inbox`, `drafts`, …) name the same folders whatever the language
//! (<https://learn.microsoft.com/graph/api/resources/mailfolder>). The simplified Chinese names
//! are Exchange Online's own, as Microsoft's zh-CN pages write them: "Exchange Online中支持保留策略标记的默认文件夹"
//! (<https://learn.microsoft.com/zh-cn/exchange/security-and-compliance/messaging-records-management/default-folders>:
//! 存档, 会话历史记录, 已删除邮件, 草稿, 收件箱, 垃圾邮件, 发件箱, 已发送邮件) and the Outlook
//! retention-policy help (<https://support.microsoft.com/zh-cn/office/3e5fd2dc-633f-4a38-b313-b31b81f7cf7a>:
//! 收件箱, 草稿, 已发送邮件, 已删除邮件, 垃圾邮件). The mailbox root keeps its English name in
//! every language here: no Microsoft page found names it in Chinese.

use std::fmt;

/// A language the tenant names default folders in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English (United States): Exchange's names as Graph's reference shows them.
    #[default]
    EnUs,
    /// Simplified Chinese (China).
    ZhCn,
}

/// The locales offered, as a scenario writes them.
pub const SUPPORTED: [&str; 2] = ["en-US", "zh-CN"];

impl Locale {
    /// The locale a tag names (`en-US`, `zh-CN`, any case, `_` for `-`), if it is offered.
    pub fn parse(tag: &str) -> Option<Locale> {
        match tag.trim().replace('_', "-").to_ascii_lowercase().as_str() {
            "en-us" => Some(Locale::EnUs),
            "zh-cn" => Some(Locale::ZhCn),
            _ => None,
        }
    }

    /// The display name of the default folder with this well-known name; `None` for a
    /// well-known name that is no default folder here.
    pub fn folder_name(self, well_known: &str) -> Option<&'static str> {
        let (en, zh) = match well_known {
            "archive" => ("Archive", "存档"),
            "conversationhistory" => ("Conversation History", "会话历史记录"),
            "deleteditems" => ("Deleted Items", "已删除邮件"),
            "drafts" => ("Drafts", "草稿"),
            "inbox" => ("Inbox", "收件箱"),
            "junkemail" => ("Junk Email", "垃圾邮件"),
            "outbox" => ("Outbox", "发件箱"),
            "sentitems" => ("Sent Items", "已发送邮件"),
            _ => return None,
        };
        Some(match self {
            Locale::EnUs => en,
            Locale::ZhCn => zh,
        })
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Locale::EnUs => "en-US",
            Locale::ZhCn => "zh-CN",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_folder_has_a_name_in_every_locale() {
        for (english, well_known) in crate::tenant::DEFAULT_FOLDERS {
            assert_eq!(Locale::EnUs.folder_name(well_known), Some(english));
            let zh = Locale::ZhCn.folder_name(well_known).unwrap();
            assert!(!zh.is_ascii(), "{well_known}: {zh}");
        }
        assert_eq!(Locale::ZhCn.folder_name("inbox"), Some("收件箱"));
        assert_eq!(Locale::ZhCn.folder_name("msgfolderroot"), None);
    }

    #[test]
    fn tags_parse_in_any_case_and_print_as_written() {
        assert_eq!(Locale::parse("zh-cn"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("ZH_CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("en-US"), Some(Locale::EnUs));
        assert_eq!(Locale::parse("fr-FR"), None);
        for tag in SUPPORTED {
            assert_eq!(Locale::parse(tag).unwrap().to_string(), tag);
        }
    }
}
