-- Upgrade 5: builds, RPMs, tagging, external repos, repos and repo requests, buildroot contents.
-- Only new tables and one foreign key, so a hub of version 4 keeps working while this runs.


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
