//! Integration tests: the connector against an in-process simulator on port 0, one test binary.
//! Each rule ID appears in the names of the tests that prove it (`grep -rn ROUTE-MAP`).

mod harness;
mod proxy;

mod corpus;
mod crash;
mod errors;
mod final_import;
mod folder;
mod hostile_ids;
mod integrity;
mod late;
mod limits;
mod live;
mod manners;
mod routing;
mod size_content;
mod tenant_store;
mod tokens;
mod web_ui;
mod window;
