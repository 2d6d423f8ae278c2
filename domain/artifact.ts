/**
 * Artifact: what a release runs, built once and run unchanged wherever it is promoted or rolled back
 * to. On Cedar a slug; on Fir an OCI image built by Cloud Native Buildpacks. Two releases with the
 * same artifact run the same build; its id is unique across both kinds.
 */

export type ArtifactType = 'slug' | 'oci-image';

export interface Artifact {
  type: ArtifactType;
  id: string;
}

/** The fields of Heroku's release object a build is read from (the plain v3 answer). */
export interface HerokuReleaseBuild {
  slug?: { id: string } | null;
  artifacts?: readonly { type?: string; id?: string }[] | null;
}

const isType = (type: unknown): type is ArtifactType => type === 'slug' || type === 'oci-image';

/**
 * A release's artifact as Heroku answers it: its `artifacts` entry (a slug on Cedar, an OCI image on
 * Fir), else its `slug` (answers without `artifacts`); null when it runs neither (a container
 * deploy on Cedar lists no artifact conveyor can promote).
 */
export function readArtifact(release: HerokuReleaseBuild): Artifact | null {
  const listed = (release.artifacts ?? []).find((a) => isType(a?.type) && typeof a.id === 'string' && a.id);
  if (listed) return { type: listed.type as ArtifactType, id: listed.id! };
  return release.slug?.id ? { type: 'slug', id: release.slug.id } : null;
}

/** What a release fact carries: its artifact, or in observations recorded before artifacts only its slug id. */
export interface CarriesArtifact {
  artifact?: Artifact | null;
  slugId?: string | null;
}

/** The artifact of an observed release (older observations name only a slug). */
export function artifactOf(release: CarriesArtifact | null | undefined): Artifact | null {
  if (!release) return null;
  if (release.artifact !== undefined) return release.artifact;
  return release.slugId ? { type: 'slug', id: release.slugId } : null;
}

/** The artifact's id, the identity of a build: null when the release runs no artifact. */
export const artifactId = (release: CarriesArtifact | null | undefined): string | null =>
  artifactOf(release)?.id ?? null;

/** Whether two releases run the same build (both run an artifact, and it is the same one). */
export function sameBuild(a: CarriesArtifact | null | undefined, b: CarriesArtifact | null | undefined): boolean {
  const [x, y] = [artifactId(a), artifactId(b)];
  return x !== null && x === y;
}

/** "slug" or "image", as people call them. */
export const artifactKind = (artifact: Artifact | null): string =>
  artifact === null ? 'build' : artifact.type === 'slug' ? 'slug' : 'image';

/**
 * The commit of a build as Heroku answers it: a slug's `commit`, or the first image of the oci-images
 * answer (an array); an empty or missing commit is unknown (null), as for a tarball slug.
 */
export function commitOfBuild(type: ArtifactType, answer: unknown): string | null {
  const build = type === 'oci-image' ? (Array.isArray(answer) ? answer[0] : undefined) : answer;
  const commit = (build as { commit?: unknown } | undefined)?.commit;
  return typeof commit === 'string' && commit.trim() !== '' ? commit : null;
}
