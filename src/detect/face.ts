/** What the detector returns for one face: plain numbers, in pixels of the input image. */

/** [x1, y1, x2, y2]. MTCNN boxes may reach outside the image; they are not clipped (as facenet-pytorch). */
export type FaceBox = [x1: number, y1: number, x2: number, y2: number];

/** [x, y] in pixels. */
export type Point = [x: number, y: number];

/** Left eye, right eye, nose tip, left mouth corner, right mouth corner (as seen in the image). */
export type FiveLandmarks = [Point, Point, Point, Point, Point];

export interface Face {
  box: FaceBox;
  /** O-Net's face probability. */
  prob: number;
  landmarks: FiveLandmarks;
}

/** Box area (x2 - x1) * (y2 - y1), the measure facenet-pytorch's select_largest sorts by. */
export function faceArea(f: Face): number {
  return (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]);
}
