//! The population of a scenario: employees and external contacts (written and generated), group
//! chats, and the tenant directory that goes with them.
//!
//! Everything generated here comes from one `ChaCha8Rng` seeded by the scenario seed, in a fixed
//! order, so the same scenario always gives the same people.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::world::scenario::{App, Group, Organisation, Person, Scenario, TenantUser, generated_external_email};
use tm_contract::address_key;

use crate::world::{corpus, faker};

/// Everyone in a scenario, the group chats and the tenant directory.
#[derive(Debug, Clone)]
pub struct Population {
    /// Employees first, then external contacts.
    pub persons: Vec<Person>,
    /// Group chats.
    pub groups: Vec<Group>,
    /// The tenant directory.
    pub users: Vec<TenantUser>,
    by_id: HashMap<String, u32>,
    group_by_id: HashMap<String, u32>,
    /// Each group's members as person indices (rendering looks them up for every item).
    members: Vec<Vec<u32>>,
    /// Each person as an address-list entry (`phrase <email>`), rendered once.
    addresses: Vec<String>,
}

impl Population {
    /// Index of a person by id.
    pub fn person_index(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }
    /// Index of a group by id.
    pub fn group_index(&self, id: &str) -> Option<u32> {
        self.group_by_id.get(id).copied()
    }
    /// Person by index.
    pub fn person(&self, i: u32) -> &Person {
        &self.persons[i as usize]
    }
    /// A group's members, as person indices, in the group's order.
    pub fn members(&self, group: u32) -> &[u32] {
        &self.members[group as usize]
    }
    /// A person as an entry of an address list (`"Name +86…" <mail>`, encoded as headers need).
    pub fn address(&self, i: u32) -> &str {
        &self.addresses[i as usize]
    }

    fn new(persons: Vec<Person>, groups: Vec<Group>, users: Vec<TenantUser>, by_id: HashMap<String, u32>) -> Population {
        let group_by_id = groups.iter().enumerate().map(|(i, g)| (g.id.clone(), i as u32)).collect();
        let members = groups.iter().map(|g| g.members.iter().filter_map(|m| by_id.get(m).copied()).collect()).collect();
        let addresses = persons.iter().map(crate::world::render::address_entry).collect();
        Population { persons, groups, users, by_id, group_by_id, members, addresses }
    }

    /// Indices of the employees.
    pub fn employees(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.persons.len() as u32).filter(|i| self.persons[*i as usize].employee)
    }

    /// Builds the population of a scenario.
    ///
    /// The steps draw from one seeded RNG in this order: generated employees, generated external
    /// contacts, generated groups. The tenant directory draws nothing.
    pub fn build(s: &Scenario) -> Population {
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed ^ 0x7065_6f70_6c65); // "people"
        let mut taken = Taken::of(s);
        let org = s.organisation.as_ref();
        let mut persons: Vec<Person> = s.employees.clone();
        // Tenant facts for generated employees, in their order.
        let mut accounts: Vec<Account> = Vec::new();
        if let Some(org) = org {
            for _ in 0..org.employees {
                let (person, account) = generated_employee(&mut rng, &mut taken, org);
                accounts.push(account);
                persons.push(person);
            }
        }
        let first_generated_employee = s.employees.len();
        persons.extend(s.externals.iter().cloned());
        if let Some(org) = org {
            for _ in 0..org.external_contacts {
                persons.push(generated_external(&mut rng, &mut taken));
            }
        }

        let mut by_id = HashMap::new();
        for (i, p) in persons.iter().enumerate() {
            by_id.insert(p.id.clone(), i as u32);
        }

        let mut groups = s.groups.clone();
        if let Some(org) = org {
            generated_groups(&mut rng, &mut taken.ids, &persons, org, &mut groups);
        }
        let users = tenant_directory(s, &persons, first_generated_employee, &accounts);
        Population::new(persons, groups, users, by_id)
    }
}

/// Ids, mobiles and (normalised) addresses already in use; generated people take fresh ones.
struct Taken {
    ids: BTreeSet<String>,
    mobiles: BTreeSet<String>,
    emails: BTreeSet<String>,
}

impl Taken {
    /// What the scenario's written people, groups and tenant users hold.
    fn of(s: &Scenario) -> Taken {
        let mut ids: BTreeSet<String> = s.employees.iter().chain(&s.externals).map(|p| p.id.clone()).collect();
        ids.extend(s.groups.iter().map(|g| g.id.clone()));
        let mobiles: BTreeSet<String> = s.employees.iter().chain(&s.externals).filter_map(|p| p.mobile.clone()).collect();
        let mut emails: BTreeSet<String> = s.employees.iter().chain(&s.externals).map(|p| address_key(&p.email)).collect();
        for u in &s.tenant_users {
            emails.insert(address_key(&u.upn));
            emails.insert(address_key(&u.mail));
            emails.extend(u.aliases.iter().map(|a| address_key(a)));
        }
        Taken { ids, mobiles, emails }
    }
}

/// Tenant facts of a generated employee.
struct Account {
    upn: String,
    aliases: Vec<String>,
    enabled: bool,
    mailbox: bool,
}

/// One generated employee and their tenant account.
fn generated_employee(rng: &mut ChaCha8Rng, taken: &mut Taken, org: &Organisation) -> (Person, Account) {
    let (name, sur, given) = chinese_name(rng);
    let mut local = format!("{given}.{sur}");
    let mut n = 1;
    while taken.emails.contains(&format!("{local}@{}", org.domain)) {
        n += 1;
        local = format!("{given}.{sur}{n}");
    }
    let upn = format!("{local}@{}", org.domain);
    taken.emails.insert(upn.clone());
    let id = unique_id(&mut taken.ids, &format!("emp-{}", local.replace('.', "-")));
    let app = if rng.random_bool(org.wecom_share) { App::Wecom } else { App::Wechat };
    let mobile = unique_mobile(rng, &mut taken.mobiles);
    let roll: f64 = rng.random();
    let mut aliases = Vec::new();
    let mut vendor_email = upn.clone();
    if roll < org.alias_share {
        let alias = format!("{}.{}@{}", &given[..1], sur, org.domain);
        if taken.emails.insert(alias.clone()) {
            aliases.push(alias.clone());
            vendor_email = alias;
        }
    } else if roll < org.alias_share + org.unknown_email_share {
        let private = format!("{sur}{given}{}@mail.example.cn", rng.random_range(1970..2005));
        if taken.emails.insert(private.clone()) {
            vendor_email = private;
        }
    }
    let roll: f64 = rng.random();
    let enabled = roll >= org.disabled_share;
    let mailbox = !(org.disabled_share..org.disabled_share + org.no_mailbox_share).contains(&roll);
    let person = Person { id, name, mobile: Some(mobile), email: vendor_email, app, employee: true, company: None };
    (person, Account { upn, aliases, enabled, mailbox })
}

/// One generated external contact, on WeCom (with a company) or WeChat.
fn generated_external(rng: &mut ChaCha8Rng, taken: &mut Taken) -> Person {
    let wecom = rng.random_bool(0.35);
    let latin = rng.random_bool(0.15);
    let (mut name, sur, given) = chinese_name(rng);
    if latin {
        let first = faker::first_name(rng);
        name = format!("{first} {}{}", sur[..1].to_ascii_uppercase(), &sur[1..]);
    }
    let mobile = rng.random_bool(0.6).then(|| unique_mobile(rng, &mut taken.mobiles));
    let (handle, email, company, app) = if wecom {
        let (handle, email, company) = wecom_contact(rng, &mut taken.emails, &given, sur);
        (handle, email, Some(company), App::Wecom)
    } else {
        let handle = format!("wxid_{}", alnum(rng, 14));
        let email = generated_external_email(&handle, App::Wechat);
        taken.emails.insert(email.clone());
        (handle, email, None, App::Wechat)
    };
    let id = unique_id(&mut taken.ids, &handle);
    Person { id, name, mobile, email, app, employee: false, company }
}

/// A WeCom external contact's handle, address and company.
fn wecom_contact(rng: &mut ChaCha8Rng, emails: &mut BTreeSet<String>, given: &str, sur: &str) -> (String, String, String) {
    // Chinese companies from our list, foreign ones from `fake`.
    let (company, domain) = if rng.random_bool(0.3) {
        faker::company(rng)
    } else {
        let (c, d) = corpus::COMPANIES[rng.random_range(0..corpus::COMPANIES.len())];
        (c.to_string(), d.to_string())
    };
    let handle = format!("wm{}", alnum(rng, 16));
    let mut email = format!("{given}.{sur}@{domain}");
    while !emails.insert(address_key(&email)) {
        email = format!("{given}.{sur}{}@{domain}", rng.random_range(2..100));
    }
    (handle, email, company)
}

/// Generated group chats, appended to `groups`: each owned by an employee, with heavy-tailed sizes.
fn generated_groups(
    rng: &mut ChaCha8Rng,
    used_ids: &mut BTreeSet<String>,
    persons: &[Person],
    org: &Organisation,
    groups: &mut Vec<Group>,
) {
    let employees: Vec<u32> = (0..persons.len() as u32).filter(|i| persons[*i as usize].employee).collect();
    let externals: Vec<u32> = (0..persons.len() as u32).filter(|i| !persons[*i as usize].employee).collect();
    for g in 0..org.groups {
        if employees.len() < 2 {
            break;
        }
        // Heavy-tailed sizes: most groups are small, a few are large.
        let u: f64 = rng.random_range(0.0..1.0);
        let pareto = 3.0 / (1.0 - u).powf(1.0 / 1.2);
        let size = (pareto as usize).clamp(3, org.max_group_size.min(employees.len() + externals.len()));
        let owner = employees[rng.random_range(0..employees.len())];
        let members = group_members(rng, owner, &employees, &externals, size);
        if members.len() < 3 {
            continue;
        }
        let base = corpus::GROUP_NAMES[g % corpus::GROUP_NAMES.len()];
        let name = if g < corpus::GROUP_NAMES.len() { base.to_string() } else { format!("{base} {}", g / corpus::GROUP_NAMES.len() + 1) };
        let id = unique_id(used_ids, &format!("grp-{:03}", g + 1));
        groups.push(Group {
            id,
            name,
            source: persons[owner as usize].app,
            members: members.iter().map(|m| persons[*m as usize].id.clone()).collect(),
        });
    }
}

/// A group's members: the owner, then distinct picks (a quarter external) until `size` or the
/// guard gives up.
fn group_members(rng: &mut ChaCha8Rng, owner: u32, employees: &[u32], externals: &[u32], size: usize) -> Vec<u32> {
    let mut members = vec![owner];
    let mut seen: BTreeSet<u32> = [owner].into();
    let mut guard = 0;
    while members.len() < size && guard < size * 20 {
        guard += 1;
        let pick = if !externals.is_empty() && rng.random_bool(0.25) {
            externals[rng.random_range(0..externals.len())]
        } else {
            employees[rng.random_range(0..employees.len())]
        };
        if seen.insert(pick) {
            members.push(pick);
        }
    }
    members
}

/// The tenant directory: explicit users, then one per employee unless an explicit user already
/// holds the employee's address.
fn tenant_directory(s: &Scenario, persons: &[Person], first_generated_employee: usize, accounts: &[Account]) -> Vec<TenantUser> {
    let mut users = s.tenant_users.clone();
    if s.tenant_from_employees {
        let mut taken: BTreeMap<String, ()> = BTreeMap::new();
        for u in &users {
            for a in std::iter::once(&u.upn).chain(std::iter::once(&u.mail)).chain(&u.aliases) {
                taken.insert(address_key(a), ());
            }
        }
        for (i, p) in persons.iter().enumerate().filter(|(_, p)| p.employee) {
            let generated = i.checked_sub(first_generated_employee).and_then(|k| accounts.get(k));
            let (upn, aliases, enabled, mailbox) = match generated {
                Some(a) => (a.upn.clone(), a.aliases.clone(), a.enabled, a.mailbox),
                None => (p.email.clone(), Vec::new(), true, true),
            };
            if taken.contains_key(&address_key(&upn)) {
                continue;
            }
            taken.insert(address_key(&upn), ());
            users.push(TenantUser {
                mail: upn.clone(),
                upn,
                aliases,
                display_name: p.name.clone(),
                enabled,
                mailbox,
                folders: Vec::new(),
                hidden_folders: Vec::new(),
            });
        }
    }
    users
}

fn chinese_name(rng: &mut ChaCha8Rng) -> (String, &'static str, String) {
    // Skew towards the common surnames.
    let n = corpus::SURNAMES.len();
    let i = ((rng.random::<f64>().powi(2)) * n as f64) as usize;
    let (s_hz, s_py) = corpus::SURNAMES[i.min(n - 1)];
    let (g1, p1) = corpus::GIVEN[rng.random_range(0..corpus::GIVEN.len())];
    if rng.random_bool(0.6) {
        let (g2, p2) = corpus::GIVEN[rng.random_range(0..corpus::GIVEN.len())];
        (format!("{s_hz}{g1}{g2}"), s_py, format!("{p1}{p2}"))
    } else {
        (format!("{s_hz}{g1}"), s_py, p1.to_string())
    }
}

/// A Chinese mobile in E.164, unique within the scenario.
fn unique_mobile(rng: &mut ChaCha8Rng, used: &mut BTreeSet<String>) -> String {
    const PREFIXES: &[&str] = &[
        "130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159", "166", "176", "177", "180",
        "181", "186", "187", "188", "189", "191", "199",
    ];
    loop {
        let p = PREFIXES[rng.random_range(0..PREFIXES.len())];
        let m = format!("+86{p}{:08}", rng.random_range(0..100_000_000u32));
        if used.insert(m.clone()) {
            return m;
        }
    }
}

fn alnum(rng: &mut ChaCha8Rng, n: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

fn unique_id(used: &mut BTreeSet<String>, base: &str) -> String {
    let mut id = base.to_string();
    let mut n = 1;
    while !used.insert(id.clone()) {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}
