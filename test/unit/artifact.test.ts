// Artifact: the slug (Cedar) or OCI image (Fir) a release runs, its identity and its commit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  artifactId,
  artifactOf,
  commitOfBuild,
  readArtifact,
  sameBuild,
  type Artifact,
  type CarriesArtifact,
  type HerokuReleaseBuild,
} from '../../domain/artifact';

const sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const slug: Artifact = { type: 'slug', id: 'slug-1' };
const image: Artifact = { type: 'oci-image', id: 'image-1' };

describe("a release's artifact, read from Heroku's answer", () => {
  const rows: { name: string; release: HerokuReleaseBuild; artifact: Artifact | null }[] = [
    {
      name: 'Cedar: a slug listed in artifacts',
      release: { slug: { id: 'slug-1' }, artifacts: [slug] },
      artifact: slug,
    },
    { name: 'Fir: slug null, one oci-image artifact', release: { slug: null, artifacts: [image] }, artifact: image },
    { name: 'an answer without artifacts: its slug', release: { slug: { id: 'slug-1' } }, artifact: slug },
    { name: 'no slug and no artifact (a container deploy)', release: { slug: null, artifacts: [] }, artifact: null },
    {
      name: 'an artifact of a kind conveyor does not know is skipped',
      release: { slug: null, artifacts: [{ type: 'docker-image', id: 'x' }, image] },
      artifact: image,
    },
    {
      name: 'an artifact without an id is no artifact',
      release: { slug: null, artifacts: [{ type: 'oci-image' }] },
      artifact: null,
    },
  ];
  for (const row of rows) test(row.name, () => assert.deepEqual(readArtifact(row.release), row.artifact));
});

describe('the artifact of an observed release', () => {
  const rows: { name: string; release: CarriesArtifact | null; artifact: Artifact | null }[] = [
    { name: 'its artifact', release: { artifact: image }, artifact: image },
    { name: 'an observation recorded before artifacts: its slug id', release: { slugId: 'slug-1' }, artifact: slug },
    {
      name: 'an artifact of null wins over an older slug id',
      release: { artifact: null, slugId: 'slug-1' },
      artifact: null,
    },
    { name: 'no release', release: null, artifact: null },
  ];
  for (const row of rows)
    test(row.name, () => {
      assert.deepEqual(artifactOf(row.release), row.artifact);
      assert.equal(artifactId(row.release), row.artifact?.id ?? null);
    });
});

describe('two releases run the same build', () => {
  const rows: { name: string; a: CarriesArtifact | null; b: CarriesArtifact | null; same: boolean }[] = [
    { name: 'the same image', a: { artifact: image }, b: { artifact: { ...image } }, same: true },
    { name: 'a slug named the old way and the new way', a: { slugId: 'slug-1' }, b: { artifact: slug }, same: true },
    { name: 'two images', a: { artifact: image }, b: { artifact: { type: 'oci-image', id: 'image-2' } }, same: false },
    { name: 'neither runs an artifact', a: { artifact: null }, b: { slugId: null }, same: false },
    { name: 'one release is missing', a: { artifact: image }, b: null, same: false },
  ];
  for (const row of rows)
    test(`${row.same ? 'yes' : 'no'}: ${row.name}`, () => assert.equal(sameBuild(row.a, row.b), row.same));
});

describe("a build's commit, as Heroku answers the slug or the oci-images look-up", () => {
  const rows: { name: string; type: Artifact['type']; answer: unknown; commit: string | null }[] = [
    { name: 'a slug with a commit', type: 'slug', answer: { commit: sha }, commit: sha },
    { name: 'a tarball slug: commit null', type: 'slug', answer: { commit: null }, commit: null },
    {
      name: 'an image: the first of the array',
      type: 'oci-image',
      answer: [{ commit: sha }, { commit: 'other' }],
      commit: sha,
    },
    { name: 'an image pushed by hand: commit ""', type: 'oci-image', answer: [{ commit: '' }], commit: null },
    { name: 'an empty array', type: 'oci-image', answer: [], commit: null },
    { name: 'an image answered as an object, not an array', type: 'oci-image', answer: { commit: sha }, commit: null },
  ];
  for (const row of rows) test(row.name, () => assert.equal(commitOfBuild(row.type, row.answer), row.commit));
});
