-- Kiln's complete current database schema.
--
-- A fresh database gets this file; an existing one gets the numbered scripts in upgrades/ that
-- are newer than its kiln_schema.version.  Keep the two in step: every change here adds an
-- upgrade script in the same commit, and the last statement of this file records the number of
-- the newest script.
--
-- Versioned tables follow Koji's model: rows are never updated in place or deleted; a change
-- revokes the current row (revoke_event, revoker_id, active = NULL) and inserts a new one, both
-- at the same event.  "active" is TRUE or NULL, never FALSE, so UNIQUE (key, active) allows one
-- current row and any number of revoked ones.
--
-- Ids and event numbers are BIGINT (Koji uses INTEGER); the wire is the same, as the XML-RPC
-- encoder writes <int> whenever a value fits in 32 bits.

CREATE TABLE kiln_schema (
    version INTEGER NOT NULL
);

-- Events: one per committed API call that writes versioned data.

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    time TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION get_event() RETURNS BIGINT AS $$
    INSERT INTO events (time) VALUES (clock_timestamp()) RETURNING id;
$$ LANGUAGE SQL;

-- The first event marks the creation of the database, so there is always a last event.
INSERT INTO events (time) VALUES (clock_timestamp());

CREATE FUNCTION get_event_time(BIGINT) RETURNS TIMESTAMPTZ AS $$
    SELECT time FROM events WHERE id = $1;
$$ LANGUAGE SQL;

-- Users, groups and permissions.

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    name VARCHAR(255) UNIQUE NOT NULL,
    -- An argon2 PHC string, never the password itself; NULL means no password login.
    password_hash TEXT,
    status INTEGER NOT NULL,
    usertype INTEGER NOT NULL
);

CREATE TABLE user_krb_principals (
    user_id BIGINT NOT NULL REFERENCES users(id),
    krb_principal VARCHAR(255) NOT NULL UNIQUE,
    PRIMARY KEY (user_id, krb_principal)
);

CREATE TABLE permissions (
    id BIGSERIAL PRIMARY KEY,
    name VARCHAR(50) UNIQUE NOT NULL,
    description TEXT
);

INSERT INTO permissions (name, description) VALUES
    ('admin', 'Full administrator access. Perform all actions.'),
    ('appliance', 'Create appliance builds - deprecated.'),
    ('dist-repo', 'Create a dist-repo.'),
    ('host', 'Add, remove, enable, disable hosts and channels.'),
    ('image', 'Start image tasks.'),
    ('image-import', 'Import image archives.'),
    ('livecd', 'Start livecd tasks.'),
    ('maven-import', 'Import maven archives.'),
    ('repo', 'Manage repos: newRepo, repoExpire, repoDelete, repoProblem.'),
    ('sign', 'Import RPM signatures and write signed RPMs.'),
    ('tag', 'Manage packages in tags: add, block, remove, and clone tags.'),
    ('target', 'Add, edit, and remove targets.'),
    ('win-admin', 'The default hub policy rule for "vm" requires this permission to trigger Windows builds.'),
    ('win-import', 'Import win archives.'),
    ('draft-promoter', 'The permission required in the default "draft_promotion" hub policy rule to promote draft builds.');

CREATE TABLE user_perms (
    user_id BIGINT NOT NULL REFERENCES users(id),
    perm_id BIGINT NOT NULL REFERENCES permissions(id),
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, user_id, perm_id),
    UNIQUE (user_id, perm_id, active)
);

CREATE TABLE user_groups (
    user_id BIGINT NOT NULL REFERENCES users(id),
    group_id BIGINT NOT NULL REFERENCES users(id),
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, user_id, group_id),
    UNIQUE (user_id, group_id, active)
);

-- Sessions.  A subsession has master set to its top session; exclusivity is TRUE or NULL so
-- that UNIQUE (user_id, exclusive) allows one exclusive session per user.

CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    expired BOOLEAN NOT NULL DEFAULT FALSE,
    master BIGINT REFERENCES sessions(id),
    key VARCHAR(255) NOT NULL,
    authtype INTEGER NOT NULL,
    hostip VARCHAR(255) NOT NULL,
    callnum BIGINT,
    start_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    update_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    renew_time TIMESTAMPTZ,
    exclusive BOOLEAN CHECK (exclusive),
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT no_exclusive_subsessions CHECK (master IS NULL OR exclusive IS NULL),
    CONSTRAINT no_closed_exclusive CHECK (closed IS FALSE OR exclusive IS NULL),
    UNIQUE (user_id, exclusive)
);
CREATE INDEX sessions_master ON sessions(master);
CREATE INDEX sessions_active_user ON sessions(user_id) WHERE NOT closed;

-- Hosts, channels, tasks, the scheduler's bookkeeping and buildroots (0003).

-- Channels: named pools of hosts.  Tasks go to a channel; hosts listen to channels.

CREATE TABLE channels (
    id BIGSERIAL PRIMARY KEY,
    name VARCHAR(128) UNIQUE NOT NULL,
    description TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    comment TEXT
);

INSERT INTO channels (name) VALUES
    ('default'), ('createrepo'), ('maven'), ('livecd'), ('appliance'), ('vm'), ('image'), ('livemedia');

-- Build hosts.  Each has a login user (usertype HOST) named like the host.  The host row holds
-- what the builder reports (update_time, task_load, ready); host_config holds what admins set.

CREATE TABLE host (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users(id),
    name VARCHAR(128) UNIQUE NOT NULL,
    update_time TIMESTAMPTZ,
    task_load DOUBLE PRECISION NOT NULL DEFAULT 0.0 CHECK (task_load >= 0),
    ready BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE host_config (
    host_id BIGINT NOT NULL REFERENCES host(id),
    arches TEXT,
    capacity DOUBLE PRECISION NOT NULL DEFAULT 2.0 CHECK (capacity > 1),
    description TEXT,
    comment TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id),
    UNIQUE (host_id, active)
);

CREATE TABLE host_channels (
    host_id BIGINT NOT NULL REFERENCES host(id),
    channel_id BIGINT NOT NULL REFERENCES channels(id),
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id, channel_id),
    UNIQUE (host_id, channel_id, active)
);

-- Tasks.  request is the XML-RPC methodCall text of the task's arguments and result the
-- methodResponse text the builder sent (a fault for failures), both exactly as Koji stores them.
-- waiting and awaited are TRUE, FALSE or NULL as in Koji.

CREATE TABLE task (
    id BIGSERIAL PRIMARY KEY,
    state INTEGER NOT NULL,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    start_time TIMESTAMPTZ,
    completion_time TIMESTAMPTZ,
    channel_id BIGINT NOT NULL REFERENCES channels(id),
    host_id BIGINT REFERENCES host(id),
    parent BIGINT REFERENCES task(id),
    label VARCHAR(255),
    waiting BOOLEAN,
    awaited BOOLEAN,
    owner BIGINT NOT NULL REFERENCES users(id),
    method TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT,
    eta INTEGER,
    arch VARCHAR(16) NOT NULL,
    priority INTEGER NOT NULL,
    weight DOUBLE PRECISION NOT NULL DEFAULT 1.0 CHECK (weight >= 0),
    CONSTRAINT parent_label_sane CHECK (parent IS NOT NULL OR label IS NULL),
    CONSTRAINT host_state_sane CHECK (state NOT IN (1, 4) OR host_id IS NOT NULL),
    UNIQUE (parent, label)
);
CREATE INDEX task_by_state ON task(state);
CREATE INDEX task_by_host ON task(host_id) WHERE host_id IS NOT NULL;
CREATE INDEX task_active_by_host ON task(host_id) WHERE state IN (1, 4);
CREATE INDEX task_by_parent ON task(parent) WHERE parent IS NOT NULL;
CREATE INDEX task_free_queue ON task(priority, create_time, id) WHERE state = 0;
CREATE INDEX task_by_owner ON task(owner);

-- Wake-ups for long-polling builders and waiting parent tasks, sent at commit:
--   kiln_task_work  (no payload)         a task became FREE;
--   kiln_host       ("host task state")  a task of that host changed state or was taken away
--                                        (not when it opens: only the host itself opens its tasks,
--                                        and a NOTIFY serialises commits, fsync included);
--   kiln_task_done  (parent id)          a child of that task finished.

CREATE FUNCTION task_notify() RETURNS trigger AS $$
BEGIN
    IF NEW.state = 0 AND (TG_OP = 'INSERT' OR OLD.state <> 0) THEN
        PERFORM pg_notify('kiln_task_work', '');
    END IF;
    IF NEW.host_id IS NOT NULL AND NEW.state <> 1
            AND (TG_OP = 'INSERT' OR NEW.state <> OLD.state OR NEW.host_id IS DISTINCT FROM OLD.host_id) THEN
        PERFORM pg_notify('kiln_host', NEW.host_id || ' ' || NEW.id || ' ' || NEW.state);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.host_id IS NOT NULL AND OLD.host_id IS DISTINCT FROM NEW.host_id THEN
        PERFORM pg_notify('kiln_host', OLD.host_id || ' ' || NEW.id || ' ' || NEW.state);
    END IF;
    IF NEW.parent IS NOT NULL AND NEW.state IN (2, 3, 5)
            AND (TG_OP = 'INSERT' OR OLD.state NOT IN (2, 3, 5)) THEN
        PERFORM pg_notify('kiln_task_done', NEW.parent::text);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER task_notify AFTER INSERT OR UPDATE OF state, host_id ON task
    FOR EACH ROW EXECUTE FUNCTION task_notify();

-- The scheduler's bookkeeping (Koji's names and shapes).  A run is one hand-out of a task to a
-- host; it stays active while the task is ASSIGNED or OPEN on that host.

CREATE TABLE scheduler_task_runs (
    id BIGSERIAL PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES task(id),
    host_id BIGINT NOT NULL REFERENCES host(id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX scheduler_task_runs_task ON scheduler_task_runs(task_id);
CREATE INDEX scheduler_task_runs_active ON scheduler_task_runs(host_id) WHERE active;

-- What builders report with host.updateHost(data=…) or host.setHostData: methods, maxjobs.
CREATE TABLE scheduler_host_data (
    host_id BIGINT PRIMARY KEY REFERENCES host(id),
    data JSONB NOT NULL
);

CREATE TABLE scheduler_task_refusals (
    id BIGSERIAL PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES task(id),
    host_id BIGINT NOT NULL REFERENCES host(id),
    by_host BOOLEAN NOT NULL,
    soft BOOLEAN NOT NULL,
    msg TEXT,
    time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (task_id, host_id)
);

CREATE TABLE scheduler_log_messages (
    id BIGSERIAL PRIMARY KEY,
    task_id BIGINT REFERENCES task(id),
    host_id BIGINT REFERENCES host(id),
    msg_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    msg TEXT NOT NULL
);

-- Buildroots (filled by builds; listed by hostinfo and taskinfo).  repo_id references repo
-- (the constraint is added after the repo table below).

CREATE TABLE buildroot (
    id BIGSERIAL PRIMARY KEY,
    br_type INTEGER NOT NULL,
    cg_id BIGINT,
    cg_version TEXT,
    container_type TEXT,
    container_arch TEXT,
    host_os TEXT,
    host_arch TEXT,
    extra TEXT,
    CONSTRAINT cg_sane CHECK ((cg_id IS NULL) = (cg_version IS NULL)),
    CONSTRAINT container_sane CHECK ((container_type IS NULL) = (container_arch IS NULL))
);

CREATE TABLE standard_buildroot (
    buildroot_id BIGINT NOT NULL PRIMARY KEY REFERENCES buildroot(id),
    host_id BIGINT NOT NULL REFERENCES host(id),
    repo_id BIGINT NOT NULL,
    task_id BIGINT NOT NULL REFERENCES task(id),
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    retire_event BIGINT REFERENCES events(id),
    state INTEGER
);
CREATE INDEX standard_buildroot_host ON standard_buildroot(host_id);
CREATE INDEX standard_buildroot_task ON standard_buildroot(task_id);

-- Tags, inheritance, build targets, package lists and comps groups.
--
-- tag, build_target, package and groups are name registries: a name keeps its id for ever, and a
-- deleted tag or target is one without an active config row.  Everything else is versioned.

CREATE TABLE tag (
    id BIGSERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);

CREATE TABLE tag_config (
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    -- Space-separated; '' when none were given (as Koji 1.35+ stores them).
    arches TEXT,
    -- The permission needed to change the tag's contents, if any.
    perm_id BIGINT REFERENCES permissions(id),
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    maven_support BOOLEAN NOT NULL DEFAULT FALSE,
    maven_include_all BOOLEAN NOT NULL DEFAULT FALSE,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id),
    UNIQUE (tag_id, active)
);
CREATE INDEX tag_config_current ON tag_config(tag_id) WHERE active IS TRUE;

CREATE TABLE tag_extra (
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    key TEXT NOT NULL,
    -- JSON text as Python's json.dumps writes it; NULL blocks the key from being inherited.
    value TEXT,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, key),
    UNIQUE (tag_id, key, active)
);

CREATE TABLE tag_inheritance (
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    parent_id BIGINT NOT NULL REFERENCES tag(id),
    priority INTEGER NOT NULL,
    maxdepth INTEGER,
    intransitive BOOLEAN NOT NULL DEFAULT FALSE,
    noconfig BOOLEAN NOT NULL DEFAULT FALSE,
    pkg_filter TEXT,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, priority),
    UNIQUE (tag_id, priority, active),
    UNIQUE (tag_id, parent_id, active)
);
CREATE INDEX tag_inheritance_by_parent ON tag_inheritance(parent_id);

CREATE TABLE build_target (
    id BIGSERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);

CREATE TABLE build_target_config (
    build_target_id BIGINT NOT NULL REFERENCES build_target(id),
    build_tag BIGINT NOT NULL REFERENCES tag(id),
    dest_tag BIGINT NOT NULL REFERENCES tag(id),
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, build_target_id),
    UNIQUE (build_target_id, active)
);
CREATE INDEX build_target_config_build_tag ON build_target_config(build_tag);
CREATE INDEX build_target_config_dest_tag ON build_target_config(dest_tag);

CREATE TABLE package (
    id BIGSERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);

CREATE TABLE tag_packages (
    package_id BIGINT NOT NULL REFERENCES package(id),
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    extra_arches TEXT,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, package_id, tag_id),
    UNIQUE (package_id, tag_id, active)
);
CREATE INDEX tag_packages_by_tag ON tag_packages(tag_id);

-- The owner is kept apart so that changing it makes no new tag_packages version.
CREATE TABLE tag_package_owners (
    package_id BIGINT NOT NULL REFERENCES package(id),
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    owner BIGINT NOT NULL REFERENCES users(id),
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, package_id, tag_id),
    UNIQUE (package_id, tag_id, active)
);
CREATE INDEX tag_package_owners_by_tag ON tag_package_owners(tag_id);
CREATE INDEX tag_package_owners_by_owner ON tag_package_owners(owner);

-- Comps groups (what buildroots install), per tag and inherited.

CREATE TABLE groups (
    id BIGSERIAL PRIMARY KEY,
    name VARCHAR(50) UNIQUE NOT NULL
);

CREATE TABLE group_config (
    group_id BIGINT NOT NULL REFERENCES groups(id),
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    exported BOOLEAN DEFAULT TRUE,
    display_name TEXT NOT NULL,
    is_default BOOLEAN,
    uservisible BOOLEAN,
    description TEXT,
    langonly TEXT,
    biarchonly BOOLEAN,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id),
    UNIQUE (group_id, tag_id, active)
);
CREATE INDEX group_config_by_tag ON group_config(tag_id);

CREATE TABLE group_req_listing (
    group_id BIGINT NOT NULL REFERENCES groups(id),
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    req_id BIGINT NOT NULL REFERENCES groups(id),
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    type VARCHAR(25),
    is_metapkg BOOLEAN NOT NULL DEFAULT FALSE,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id, req_id),
    UNIQUE (group_id, tag_id, req_id, active)
);
CREATE INDEX group_req_listing_by_tag ON group_req_listing(tag_id);

CREATE TABLE group_package_listing (
    group_id BIGINT NOT NULL REFERENCES groups(id),
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    -- A binary rpm name, not a package id.
    package TEXT NOT NULL,
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    type VARCHAR(25) NOT NULL,
    basearchonly BOOLEAN,
    requires TEXT,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id, package),
    UNIQUE (group_id, tag_id, package, active)
);
CREATE INDEX group_package_listing_by_tag ON group_package_listing(tag_id);

-- Builds, RPMs, tagging, external repos, repos and repo requests, buildroot contents.

CREATE TABLE volume (
    id BIGSERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);
INSERT INTO volume (id, name) VALUES (0, 'DEFAULT');

CREATE TABLE btype (
    id BIGSERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);
INSERT INTO btype (id, name) VALUES (1, 'rpm'), (2, 'maven'), (3, 'win'), (4, 'image');
SELECT setval('btype_id_seq', 4);

CREATE TABLE build (
    id BIGSERIAL PRIMARY KEY,
    volume_id BIGINT NOT NULL REFERENCES volume(id) DEFAULT 0,
    pkg_id BIGINT NOT NULL REFERENCES package(id),
    version TEXT NOT NULL,
    release TEXT NOT NULL,
    epoch INTEGER,
    draft BOOLEAN NOT NULL DEFAULT FALSE,
    -- The SCM URL with the commit resolved, or NULL for imports.
    source TEXT,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    start_time TIMESTAMPTZ,
    completion_time TIMESTAMPTZ,
    promotion_time TIMESTAMPTZ,
    -- BUILD_STATES: 0 BUILDING, 1 COMPLETE, 2 DELETED, 3 FAILED, 4 CANCELED.
    state INTEGER NOT NULL,
    -- The top-level build task.
    task_id BIGINT REFERENCES task(id),
    owner BIGINT NOT NULL REFERENCES users(id),
    promoter BIGINT REFERENCES users(id),
    cg_id BIGINT,
    -- JSON text, returned parsed.
    extra TEXT,
    CONSTRAINT completion_sane CHECK ((state = 0 AND completion_time IS NULL)
        OR (state <> 0 AND completion_time IS NOT NULL)),
    UNIQUE (pkg_id, version, release),
    UNIQUE (id, draft)
);
CREATE INDEX build_by_task ON build(task_id);
CREATE INDEX build_by_owner ON build(owner);
CREATE INDEX build_by_state ON build(state);

CREATE TABLE build_types (
    build_id BIGINT NOT NULL REFERENCES build(id),
    btype_id BIGINT NOT NULL REFERENCES btype(id),
    PRIMARY KEY (build_id, btype_id)
);

-- Which builds are tagged where (versioned).
CREATE TABLE tag_listing (
    build_id BIGINT NOT NULL REFERENCES build(id),
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, build_id, tag_id),
    UNIQUE (build_id, tag_id, active)
);
CREATE INDEX tag_listing_by_tag ON tag_listing(tag_id, active);

-- Tag changes not visible in versioned tables (TAG_UPDATE_TYPES: 0 VOLUME_CHANGE, 1 IMPORT,
-- 2 MANUAL, 3 DRAFT_PROMOTION); they count for the tag's last change.
CREATE TABLE tag_updates (
    id BIGSERIAL PRIMARY KEY,
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    update_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    updater_id BIGINT NOT NULL REFERENCES users(id),
    update_type INTEGER NOT NULL
);
CREATE INDEX tag_updates_by_tag ON tag_updates(tag_id);
CREATE INDEX tag_updates_by_event ON tag_updates(update_event);

-- External repositories (dnf repos outside Kiln merged into a tag's repos).
CREATE TABLE external_repo (
    id BIGSERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);
-- Id 0 is the internal repo: rpminfo.external_repo_id = 0 for rpms Kiln built or imported.
INSERT INTO external_repo (id, name) VALUES (0, 'INTERNAL');

CREATE TABLE external_repo_config (
    external_repo_id BIGINT NOT NULL REFERENCES external_repo(id),
    url TEXT NOT NULL,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, external_repo_id),
    UNIQUE (external_repo_id, active)
);

CREATE TABLE tag_external_repos (
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    external_repo_id BIGINT NOT NULL REFERENCES external_repo(id),
    priority INTEGER NOT NULL,
    -- 'koji', 'simple' or 'bare'.
    merge_mode TEXT NOT NULL DEFAULT 'koji',
    arches TEXT,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, priority),
    UNIQUE (tag_id, priority, active),
    UNIQUE (tag_id, external_repo_id, active)
);

-- Repos: one generated repository of a tag at an event (REPO_STATES: 0 INIT, 1 READY,
-- 2 EXPIRED, 3 DELETED, 4 PROBLEM).
CREATE TABLE repo (
    id BIGSERIAL PRIMARY KEY,
    creation_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    -- The event whose tag content the repo holds.
    create_event BIGINT NOT NULL REFERENCES events(id),
    state_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    -- The tag's last change at or before create_event, and the first one after it (NULL while
    -- the repo is current).
    begin_event BIGINT REFERENCES events(id),
    end_event BIGINT REFERENCES events(id),
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    state INTEGER NOT NULL,
    dist BOOLEAN NOT NULL DEFAULT FALSE,
    opts JSONB,
    custom_opts JSONB,
    task_id BIGINT REFERENCES task(id)
);
CREATE INDEX repo_by_tag ON repo(tag_id, state);
CREATE INDEX repo_by_task ON repo(task_id);

-- Repo requests (Koji 1.35+'s queue).
CREATE TABLE repo_queue (
    id BIGSERIAL PRIMARY KEY,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    owner BIGINT NOT NULL REFERENCES users(id),
    -- 20 + relative priority; automatic requests use 25.
    priority INTEGER NOT NULL,
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    at_event BIGINT REFERENCES events(id),
    min_event BIGINT REFERENCES events(id),
    opts JSONB NOT NULL DEFAULT '{}',
    update_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    task_id BIGINT REFERENCES task(id),
    tries INTEGER NOT NULL DEFAULT 0,
    repo_id BIGINT REFERENCES repo(id),
    CONSTRAINT only_one_event CHECK ((at_event IS NULL) <> (min_event IS NULL)),
    CONSTRAINT active_sane CHECK (NOT active OR repo_id IS NULL)
);
CREATE INDEX repo_queue_active ON repo_queue(tag_id) WHERE active;

ALTER TABLE standard_buildroot
    ADD CONSTRAINT standard_buildroot_repo_id_fkey FOREIGN KEY (repo_id) REFERENCES repo(id);

-- RPMs: built, imported (buildroot_id NULL) or from external repos (build_id NULL).
CREATE TABLE rpminfo (
    id BIGSERIAL PRIMARY KEY,
    build_id BIGINT,
    buildroot_id BIGINT REFERENCES buildroot(id),
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    release TEXT NOT NULL,
    epoch INTEGER,
    arch VARCHAR(16) NOT NULL,
    draft BOOLEAN,
    external_repo_id BIGINT NOT NULL REFERENCES external_repo(id),
    -- Hex of the header's SIGMD5.
    payloadhash TEXT NOT NULL,
    size BIGINT NOT NULL,
    buildtime BIGINT NOT NULL,
    metadata_only BOOLEAN NOT NULL DEFAULT FALSE,
    extra TEXT,
    FOREIGN KEY (build_id, draft) REFERENCES build(id, draft) ON UPDATE CASCADE,
    CONSTRAINT build_id_draft_external_repo_id_sane CHECK (
        (draft IS NULL AND build_id IS NULL AND external_repo_id <> 0)
        OR (draft IS NOT NULL AND build_id IS NOT NULL AND external_repo_id = 0))
);
CREATE UNIQUE INDEX rpminfo_unique_nvra ON rpminfo(name, version, release, arch, external_repo_id)
    WHERE draft IS NOT TRUE;
CREATE INDEX rpminfo_by_build ON rpminfo(build_id);
CREATE INDEX rpminfo_by_buildroot ON rpminfo(buildroot_id);

-- Signature headers recorded per rpm; sigkey '' is the unsigned header seen at import.
CREATE TABLE rpmsigs (
    rpm_id BIGINT NOT NULL REFERENCES rpminfo(id),
    sigkey TEXT NOT NULL,
    sighash TEXT NOT NULL,
    UNIQUE (rpm_id, sigkey)
);

-- What was installed in a buildroot.
CREATE TABLE buildroot_listing (
    buildroot_id BIGINT NOT NULL REFERENCES buildroot(id),
    rpm_id BIGINT NOT NULL REFERENCES rpminfo(id),
    is_update BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (buildroot_id, rpm_id)
);
CREATE INDEX buildroot_listing_by_rpm ON buildroot_listing(rpm_id);

-- Repos: tell the hubs' repo loops when a tag's contents or configuration change.
-- One statement-level trigger per table; PostgreSQL folds identical notifications of one
-- transaction into one, so a call that tags many builds wakes the loop once.

CREATE FUNCTION tag_content_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('kiln_tag_content', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_listing
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_inheritance
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_packages
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_config
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_extra
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON group_config
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON group_package_listing
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON group_req_listing
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON build_target_config
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();


-- The Module Build Service: module builds, components, state traces.
-- One module build (one N:S:V:C); states are MBS's numbers (init 0 … garbage 6).
CREATE TABLE module_builds (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    stream TEXT NOT NULL,
    -- A uint64 kept as digits; ordered numerically through version::NUMERIC.
    version TEXT NOT NULL,
    context TEXT NOT NULL,
    state INTEGER NOT NULL,
    state_reason TEXT,
    -- The MBS owner name (the submitter, or 'mbs_import').
    owner TEXT NOT NULL,
    owner_id BIGINT REFERENCES users(id),
    scmurl TEXT,
    -- The module commit the submission resolved to (xmd.mbs.commit).
    scm_commit TEXT,
    branch TEXT,
    -- The document as submitted (NULL for imports).
    modulemd_submitted TEXT,
    -- The current modulemd: expanded, with xmd.mbs filled (refs resolved at submission).
    modulemd TEXT NOT NULL,
    koji_tag TEXT,
    cg_build_koji_tag TEXT,
    rebuild_strategy TEXT NOT NULL,
    scratch BOOLEAN NOT NULL DEFAULT FALSE,
    batch INTEGER NOT NULL DEFAULT 0,
    new_repo_task_id BIGINT,
    -- The moduleBuild parent task that builds it (the backend).
    task_id BIGINT REFERENCES task(id),
    build_context TEXT,
    build_context_no_bms TEXT,
    runtime_context TEXT,
    stream_version BIGINT,
    virtual_streams TEXT[] NOT NULL DEFAULT '{}',
    arches TEXT[] NOT NULL DEFAULT '{}',
    reused_module_id BIGINT REFERENCES module_builds(id),
    time_submitted TIMESTAMPTZ NOT NULL DEFAULT now(),
    time_modified TIMESTAMPTZ NOT NULL DEFAULT now(),
    time_completed TIMESTAMPTZ,
    UNIQUE (name, stream, version, context)
);
CREATE INDEX module_builds_by_state ON module_builds(state);
CREATE INDEX module_builds_by_owner ON module_builds(owner);
CREATE INDEX module_builds_by_koji_tag ON module_builds(koji_tag);

-- Every state a module build entered, in order.
CREATE TABLE module_builds_trace (
    id BIGSERIAL PRIMARY KEY,
    module_id BIGINT NOT NULL REFERENCES module_builds(id),
    state_time TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    state INTEGER NOT NULL,
    state_reason TEXT
);
CREATE INDEX module_builds_trace_by_module ON module_builds_trace(module_id);

-- The modules a module build was built against (base modules included).
CREATE TABLE module_builds_to_module_buildrequires (
    module_id BIGINT NOT NULL REFERENCES module_builds(id),
    module_buildrequire_id BIGINT NOT NULL REFERENCES module_builds(id),
    UNIQUE (module_id, module_buildrequire_id)
);

-- One component (an RPM) of a module build; states are Koji build states, NULL = not submitted.
CREATE TABLE component_builds (
    id BIGSERIAL PRIMARY KEY,
    module_id BIGINT NOT NULL REFERENCES module_builds(id),
    package TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT 'rpms',
    -- The repository pinned to the resolved commit: <repository>?#<commit>.
    scmurl TEXT,
    -- The resolved commit.
    ref TEXT,
    buildorder BIGINT NOT NULL DEFAULT 0,
    batch INTEGER NOT NULL,
    state INTEGER,
    state_reason TEXT,
    nvr TEXT,
    task_id BIGINT,
    tagged BOOLEAN NOT NULL DEFAULT FALSE,
    tagged_in_final BOOLEAN NOT NULL DEFAULT FALSE,
    build_time_only BOOLEAN NOT NULL DEFAULT FALSE,
    buildonly BOOLEAN NOT NULL DEFAULT FALSE,
    reused_component_id BIGINT REFERENCES component_builds(id),
    weight DOUBLE PRECISION NOT NULL DEFAULT 0,
    UNIQUE (module_id, package)
);
CREATE INDEX component_builds_by_state ON component_builds(state);
CREATE INDEX component_builds_by_task ON component_builds(task_id);

-- Every state a component entered, in order.
CREATE TABLE component_builds_trace (
    id BIGSERIAL PRIMARY KEY,
    component_id BIGINT NOT NULL REFERENCES component_builds(id),
    state_time TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    state INTEGER,
    state_reason TEXT,
    task_id BIGINT
);
CREATE INDEX component_builds_trace_by_component ON component_builds_trace(component_id);

INSERT INTO kiln_schema (version) VALUES (11);
