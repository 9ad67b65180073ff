-- Upgrade 4: tags, inheritance, build targets, package lists and comps groups.
-- Only new tables, so a hub of version 3 keeps working while this runs.

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
