-- Upgrade 1: the foundation (events, users, permissions, sessions).
-- This is the first script, so it equals schema.sql at version 1.

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

INSERT INTO kiln_schema (version) VALUES (1);
