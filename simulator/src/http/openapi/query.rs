//! Graph's query options, as the operations take them.
#![allow(dead_code)] // descriptions only: the handlers read the options with `odata::parse`

use serde::Deserialize;
use utoipa::IntoParams;

/// `$select` only.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Select {
    /// Comma-separated properties to answer.
    #[serde(rename = "$select")]
    pub select: Option<String>,
}

/// `GET /users`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Users {
    /// `mail eq '…'`, `userPrincipalName eq '…'` or `proxyAddresses/any(x:x eq 'smtp:…')`.
    #[serde(rename = "$filter")]
    pub filter: Option<String>,
    /// Comma-separated properties to answer.
    #[serde(rename = "$select")]
    pub select: Option<String>,
    /// Page size (default 100).
    #[serde(rename = "$top")]
    #[param(minimum = 1, maximum = 999)]
    pub top: Option<i32>,
    /// `displayName` or `userPrincipalName`, then `asc` or `desc`.
    #[serde(rename = "$orderby")]
    pub orderby: Option<String>,
    /// `true`: answer `@odata.count` (only with `ConsistencyLevel: eventual`).
    #[serde(rename = "$count")]
    pub count: Option<bool>,
    /// `"property:text"` clauses (`displayName`, `mail`, `userPrincipalName`) joined by `AND`/`OR`.
    #[serde(rename = "$search")]
    pub search: Option<String>,
    /// The next page's token, from `@odata.nextLink`.
    #[serde(rename = "$skiptoken")]
    pub skiptoken: Option<String>,
}

/// The `ConsistencyLevel` header of Graph's advanced directory queries.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct Consistency {
    /// `eventual`: allow `$count` and `$search`.
    #[serde(rename = "ConsistencyLevel")]
    pub consistency_level: Option<String>,
}

/// Listings and counts of folders and messages.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Listing {
    /// Comparisons (`eq`, `ne`, `gt`, `ge`, `lt`, `le`) of a property or path with a literal,
    /// joined by `and`/`or`: `displayName eq 'Inbox'`, `internetMessageId eq '<…>'`,
    /// `receivedDateTime ge 2026-11-20T00:00:00Z`.
    #[serde(rename = "$filter")]
    pub filter: Option<String>,
    /// Comma-separated properties to answer.
    #[serde(rename = "$select")]
    pub select: Option<String>,
    /// Page size (default 10; a larger value than 1000 is a page of 1000).
    #[serde(rename = "$top")]
    #[param(minimum = 1)]
    pub top: Option<i32>,
    /// Entries to skip.
    #[serde(rename = "$skip")]
    #[param(minimum = 0)]
    pub skip: Option<i32>,
    /// `true`: answer `@odata.count`.
    #[serde(rename = "$count")]
    pub count: Option<bool>,
    /// Sort keys: properties of the resource (paths such as `from/emailAddress/address`), each
    /// `asc` or `desc`, comma-separated.
    #[serde(rename = "$orderby")]
    pub orderby: Option<String>,
}
