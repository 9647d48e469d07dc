--
-- diagram: SPEC's polyref.diagram (Seeing).  The declared associations as a
-- Mermaid ER diagram (one relationship line per kind) or as AML relations
-- (rel source(id_column) -type_column=Kind> target(key_column)), in a fixed
-- order (source, association, kind; C collation), tables of schema public by
-- their name alone and others schema-qualified, names quoted where the
-- format needs it; and bad formats.
--
-- polyref.diagram() shows every association of the database: this test must
-- not run beside another test that declares associations.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA diagram; SET search_path = diagram, public;

-- Nothing declared: a diagram without relationships.
SELECT polyref.diagram();
SELECT polyref.diagram('aml') = '' AS aml_is_empty;

-- Tables of schema public appear by their name alone.
CREATE TABLE public.diagram_posts (id bigint PRIMARY KEY);
CREATE TABLE public.diagram_comments (id bigint PRIMARY KEY, commentable_type text, commentable_id text);
-- Others as schema.table, and names that need quoting.
CREATE TABLE videos (id uuid PRIMARY KEY, code text UNIQUE NOT NULL);
CREATE TABLE "Blog Posts" (id bigint PRIMARY KEY);
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text, commentable_id bigint);
CREATE TABLE reactions (id bigint PRIMARY KEY, kind text, subject_id text);
CREATE TABLE "user-events" (id int PRIMARY KEY, "Type" text, "the id" bigint);
CREATE TABLE "deals 50% ""off""" (id bigint PRIMARY KEY);

-- Declared out of order: the diagram sorts.
SELECT polyref.declare('reactions', 'reactable', type_column => 'kind', id_column => 'subject_id');
SELECT polyref.add_target('reactions', 'reactable', 'videos', kind => 'Say "hi"', key_column => 'code');
SELECT polyref.add_target('reactions', 'reactable', 'comments', kind => 'type');
SELECT polyref.declare('comments', 'commentable', ARRAY['"Blog Posts"', 'public.diagram_posts']::regclass[],
                       ARRAY['BlogPost', 'Post']);
SELECT polyref.declare('public.diagram_comments', 'commentable', ARRAY['public.diagram_posts', 'videos']::regclass[],
                       ARRAY['Post', 'App\Models\Video']);
SELECT polyref.declare('"user-events"', 'subject', ARRAY['comments', '"deals 50% ""off"""']::regclass[],
                       ARRAY['Comment', 'Deal'],
                       type_column => 'Type', id_column => 'the id');
-- An association without kinds draws nothing.
CREATE TABLE attachments (id int PRIMARY KEY, attachable_type text, attachable_id bigint);
SELECT polyref.declare('attachments', 'attachable');

\pset format unaligned
\pset tuples_only on
SELECT polyref.diagram();
SELECT polyref.diagram('aml');
\pset format aligned
\pset tuples_only off

-- The default is Mermaid; format names are case-insensitive.
SELECT polyref.diagram() = polyref.diagram('mermaid') AS default_is_mermaid,
       polyref.diagram('AML') = polyref.diagram('aml') AS case_insensitive;
-- One relationship line per kind.
SELECT (SELECT count(*) FROM polyref.targets) AS kinds,
       array_length(string_to_array(polyref.diagram(), E'\n'), 1) - 1 AS mermaid_lines,
       array_length(string_to_array(polyref.diagram('aml'), E'\n'), 1) AS aml_lines;

-- The diagram follows renames, kind changes and undeclare.
ALTER TABLE "Blog Posts" RENAME TO blog_posts;
ALTER TABLE comments RENAME COLUMN commentable_type TO commentable_kind;
SELECT polyref.rename_kind('comments', 'commentable', 'BlogPost', 'Article');
SELECT polyref.drop_target('reactions', 'reactable', 'type');
SELECT polyref.undeclare('public.diagram_comments', 'commentable');
\pset format unaligned
\pset tuples_only on
SELECT polyref.diagram();
SELECT polyref.diagram('aml');
\pset format aligned
\pset tuples_only off

-- Anyone may draw it (the catalog views are public).
CREATE ROLE regress_diagram_viewer;
SET ROLE regress_diagram_viewer;
SELECT polyref.diagram('aml') LIKE 'rel diagram.comments(commentable_id) -commentable_kind=Article> diagram.blog_posts(id)%'
       AS viewer_sees_it;
RESET ROLE;
DROP ROLE regress_diagram_viewer;

-- Bad formats: 22023; NULL: 22004.
SELECT polyref.diagram('dot');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.diagram('');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.diagram(NULL);
\echo :LAST_ERROR_SQLSTATE

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA diagram CASCADE;
DROP TABLE public.diagram_comments, public.diagram_posts;
RESET client_min_messages;
SELECT polyref.diagram();
SELECT count(*) AS left_over FROM polyref.associations;
