; Dummy reads and writes (NESdev wiki, "CPU addressing modes" and 6502 cycle tables): every cycle
; of a 6502 instruction is a bus access. abs,X / abs,Y reads that cross a page first read the
; address with the un-fixed high byte (base high byte, low byte already indexed), then the real
; one; without a page cross they read once. Stores with abs,X always do that dummy read. A
; read-modify-write instruction reads, writes the value it read back, then writes the result.
; Those extra accesses have the side effects of real ones: a $2007 read advances the VRAM address
; and the read buffer, a $4015 read acknowledges the frame IRQ, a $2004 write advances OAMADDR.
; Checks (result code):
;   1  LDA $20F7,X with X = $10 (crosses to $2107): the dummy read of $2007 advanced the buffer
;   2  ... and the VRAM address (the next $2007 read returns the byte after)
;   3  LDA $2007,X with X = 0 (no cross) reads $2007 once
;   4  STA $2007,X with X = 0 reads $2007 before writing: the byte lands one address later
;   5  INC $2004 writes twice: OAM[0] gets the old value, OAM[1] the incremented one
;   6  LDA $40F5,X with X = $20 (crosses to $4115): the dummy read of $4015 cleared the frame IRQ flag
;   7  the flag was set (LDA $4115 alone leaves it set): the check above is meaningful
  .include "shell.asm"

main:
  jsr wait_vbl          ; the PPU takes writes to $2006 after its warm-up
  jsr wait_vbl
  lda #$00
  sta $2001             ; rendering off
  jsr set_2000          ; VRAM $2000-$2003 = $11 $22 $33 $44
  lda #$11
  sta $2007
  lda #$22
  sta $2007
  lda #$33
  sta $2007
  lda #$44
  sta $2007

  jsr set_2000          ; 1, 2
  lda $2007             ; buffer = $11
  ldx #$10
  lda $20F7,x           ; dummy $2007 (returns $11, buffer = $22), then $2107 (returns $22)
  cmp #$22
  beq @next_address
  lda #1
  jmp finish
@next_address:
  lda $2007
  cmp #$33
  beq @no_cross
  lda #2
  jmp finish
@no_cross:
  jsr set_2000          ; 3
  lda $2007             ; buffer = $11
  ldx #0
  lda $2007,x           ; one read: $11
  cmp #$11
  bne @fail3
  lda $2007             ; $22
  cmp #$22
  beq @store
@fail3:
  lda #3
  jmp finish
@store:
  jsr set_2000          ; 4
  ldx #0
  lda #$55
  sta $2007,x           ; dummy read (address -> $2001), write $55 to $2001
  jsr set_2000
  lda $2007
  lda $2007             ; $2000 = $11
  cmp #$11
  bne @fail4
  lda $2007             ; $2001 = $55
  cmp #$55
  beq @rmw
@fail4:
  lda #4
  jmp finish
@rmw:
  lda #0                ; 5
  sta $2003
  lda #$10
  sta $2004             ; OAM[0] = $10
  lda #$55
  sta $2004             ; OAM[1] = $55
  lda #0
  sta $2003
  inc $2004             ; reads $10; writes $10 to OAM[0], $11 to OAM[1]
  lda #0
  sta $2003
  lda $2004
  cmp #$10
  bne @fail5
  lda #1
  sta $2003
  lda $2004
  cmp #$11
  beq @apu
@fail5:
  lda #5
  jmp finish
@apu:
  jsr arm_frame_irq     ; 6
  ldx #$20
  lda $40F5,x           ; dummy $4015 (acknowledges), then $4115 (open bus)
  lda $4015
  and #$40
  beq @control
  lda #6
  jmp finish
@control:
  jsr arm_frame_irq     ; 7
  lda $4115
  lda $4015
  and #$40
  bne @done
  lda #7
  jmp finish
@done:
  jmp passed

set_2000:
  lda #$20
  sta $2006
  lda #$00
  sta $2006
  rts

; Restarts the frame sequencer with its IRQ on and waits until the flag is set (I stays set).
arm_frame_irq:
  lda #$00
  sta $4017
  ldx #25
  jsr wait_x_1286       ; 32,161 cycles > 29,832
  rts
